import type { DeviceProfile } from '@ruminate/gpu';

/** What the device worker posts back: a profile, or the error that prevented one. */
export type ProfileMessage =
  | { ok: true; profile: DeviceProfile }
  | { ok: false; error: string; code?: string };
