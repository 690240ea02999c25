// The messages between a page's WebWorkerMLCEngine (or ServiceWorkerMLCEngine) and the worker's
// handler: calls answered once, streams answered chunk by chunk, load progress, and errors with
// their RuminateError code and field kept across the boundary.

import { RuminateError, type RuminateErrorCode } from '@ruminate/errors';

/** Engine methods a page calls in the worker, answered once. */
export type CallMethod =
  | 'reload'
  | 'unload'
  | 'resetChat'
  | 'getMessage'
  | 'runtimeStatsText'
  | 'getMaxStorageBufferBindingSize'
  | 'getGPUVendor'
  | 'forwardTokensAndSample'
  | 'setLogLevel'
  | 'setAppConfig'
  | 'interruptGenerate'
  | 'chatCompletion'
  | 'completion'
  | 'embedding'
  | 'listResumableSessions'
  | 'resumeChatCompletion'
  | 'deleteResumableSession';

/** A page → worker message. */
export type WorkerRequest =
  | { kind: 'call'; uuid: string; method: CallMethod; args: unknown[] }
  | { kind: 'stream'; uuid: string; method: 'chatCompletion' | 'completion'; args: [unknown] }
  | { kind: 'cancel'; uuid: string }
  | { kind: 'keepAlive'; uuid: string };

/** A worker → page message. */
export type WorkerResponse =
  | { kind: 'return'; uuid: string; content: unknown }
  | { kind: 'throw'; uuid: string; content: SerializedError }
  | { kind: 'chunk'; uuid: string; content: unknown }
  | { kind: 'initProgressCallback'; uuid: string; content: unknown }
  | { kind: 'heartbeat'; uuid: string };

/** An error as it crosses the boundary. */
export interface SerializedError {
  name: string;
  message: string;
  code?: RuminateErrorCode;
  field?: string;
}

/** `e` as a message. */
export function serializeError(e: unknown): SerializedError {
  if (e instanceof RuminateError) {
    const out: SerializedError = { name: e.name, message: e.message, code: e.code };
    if (e.field !== undefined) out.field = e.field;
    return out;
  }
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}

/** The error a message stands for: a RuminateError when it had a code. */
export function deserializeError(s: SerializedError): Error {
  if (s.code)
    return new RuminateError(s.code, s.message, s.field === undefined ? undefined : { field: s.field });
  const e = new Error(s.message);
  e.name = s.name;
  return e;
}

/** True when `m` is one of this protocol's page → worker messages. */
export function isWorkerRequest(m: unknown): m is WorkerRequest {
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof (m as { uuid?: unknown }).uuid === 'string' &&
    ['call', 'stream', 'cancel', 'keepAlive'].includes((m as { kind?: string }).kind ?? '')
  );
}

/** A fresh message id. */
export function newUuid(): string {
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}
