// Comlink's default `throw` handler keeps only an error's name, message and stack; this one
// also carries a RuminateError's `code` and `field`, so a caller on the page can branch on
// `e.code` exactly as in-process. Installed by both exposeEngine and connectEngine.

import { RuminateError, type RuminateErrorCode } from '@ruminate/errors';
import * as Comlink from 'comlink';

interface SerializedError {
  message: string;
  name: string;
  stack: string | undefined;
  code: RuminateErrorCode | undefined;
  field: string | undefined;
}

let installed = false;

/** Replaces comlink's `throw` transfer handler with one that keeps RuminateError codes. */
export function installErrorTransfer(): void {
  if (installed) return;
  installed = true;
  const original = Comlink.transferHandlers.get('throw');
  if (!original) return;
  Comlink.transferHandlers.set('throw', {
    // The thrown-value marker is private to comlink: recognise values with its own handler.
    canHandle: (v: unknown): v is { value: unknown } => original.canHandle(v),
    serialize({ value }: { value: unknown }) {
      const e = value instanceof Error ? value : new Error(String(value));
      const s: SerializedError = {
        message: e.message,
        name: e.name,
        stack: e.stack,
        code: e instanceof RuminateError ? e.code : undefined,
        field: e instanceof RuminateError ? e.field : undefined,
      };
      return [s, []];
    },
    deserialize(s: SerializedError) {
      const e = s.code
        ? new RuminateError(s.code, s.message, s.field === undefined ? undefined : { field: s.field })
        : Object.assign(new Error(s.message), { name: s.name });
      if (s.stack) e.stack = s.stack;
      throw e;
    },
  } as Comlink.TransferHandler<unknown, SerializedError>);
}
