// Capability fallback: an ordered list of engines (Ruminate in the page first, a remote server
// next, …), of which the first that loads is used. A local load fails when WebGPU and
// WebAssembly are both missing, or when the model does not fit the device (the runtime checks the
// GGUF header against the device's budget before downloading weights: `model-too-large`); a remote
// one when the server cannot be reached or does not serve the model. Every rejection is kept, so
// the page can say why it runs where it runs.

import { isRuminateError, RuminateError } from '@ruminate/errors';

/** An entry that could not be used, and why. */
export interface RejectedEngine {
  /** Its position in the list. */
  index: number;
  /** Local engine or remote server. */
  kind: 'local' | 'remote';
  /** The failure's code (`model-too-large`, `webgpu-unavailable`, `remote-failed`, …). */
  code: string;
  /** The failure's message. */
  message: string;
}

/** Which engine `createEngine` chose, and why. */
export interface EngineChoice {
  /** Its position in the list (0 when one engine was given). */
  index: number;
  /** Local engine or remote server. */
  kind: 'local' | 'remote';
  /** The model's name, or the server and its model. */
  name: string;
  /** Why this one. */
  reason: string;
  /** The entries before it that failed. */
  rejected: RejectedEngine[];
}

/** Opens the entries in order and returns the first that opens, with the choice report. */
export async function firstUsable<O extends { remote?: unknown; api?: unknown }, T>(
  entries: readonly O[],
  open: (entry: O) => Promise<T>,
  nameOf: (value: T) => Promise<string>,
): Promise<{ value: T; choice: EngineChoice }> {
  if (entries.length === 0) {
    throw new RuminateError('invalid-argument', 'createEngine was given an empty list of engines.', {
      field: 'engines',
    });
  }
  const rejected: RejectedEngine[] = [];
  for (const [index, entry] of entries.entries()) {
    const kind = entry.remote || entry.api ? 'remote' : 'local';
    try {
      const value = await open(entry);
      const reason =
        rejected.length === 0
          ? 'the first engine listed loaded'
          : `${rejected.map((r) => `#${r.index} (${r.kind}) failed with ${r.code}`).join('; ')}; #${index} loaded`;
      return { value, choice: { index, kind, name: await nameOf(value), reason, rejected } };
    } catch (e) {
      if (isRuminateError(e, 'aborted')) throw e;
      rejected.push({
        index,
        kind,
        code: isRuminateError(e) ? e.code : 'internal',
        message: e instanceof Error ? e.message : String(e),
      });
    }
  }
  const last = rejected.at(-1) as RejectedEngine;
  throw new RuminateError(
    isRuminateError(last, undefined) ? 'internal' : (last.code as RuminateError['code']),
    `No engine could be used: ${rejected.map((r) => `#${r.index} (${r.kind}): ${r.message}`).join(' | ')}`,
  );
}
