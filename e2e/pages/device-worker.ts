import { measureDeviceProfile } from '@ruminate/gpu';
import type { ProfileMessage } from './device-profile-message.ts';

// Measures the DeviceProfile inside a dedicated Web Worker and posts it to the page.
measureDeviceProfile().then(
  (profile) => postMessage({ ok: true, profile } satisfies ProfileMessage),
  (e: { message?: string; code?: string }) =>
    postMessage({ ok: false, error: String(e?.message ?? e), code: e?.code } satisfies ProfileMessage),
);
