/** Machine-readable reason a Ruminate call failed; stable across releases. */
export type RuminateErrorCode =
  | 'webgpu-unavailable'
  | 'wasm-unsupported'
  | 'worker-failed'
  | 'adapter-unavailable'
  | 'limit-too-low'
  | 'device-lost'
  | 'shader-compile'
  | 'gguf-invalid'
  | 'gguf-unsupported'
  | 'model-too-large'
  | 'fetch-failed'
  | 'integrity-mismatch'
  | 'storage-quota'
  | 'context-overflow'
  | 'unknown-sequence'
  | 'invalid-argument'
  | 'unknown-strategy'
  | 'budget-too-small'
  | 'aborted'
  | 'verifier-failed'
  | 'not-loaded'
  | 'kv-cache-full'
  | 'internal'
  | 'tokenizer-invalid'
  | 'tokenizer-unsupported'
  | 'chat-template-missing'
  | 'chat-template-failed'
  | 'remote-failed'
  | 'remote-malformed'
  | 'remote-timeout'
  | 'unauthorized'
  | 'unknown-model'
  | 'not-found'
  | 'request-too-large'
  | 'server-closing'
  | 'invalid-schema'
  | 'unsupported-schema'
  | 'invalid-grammar'
  | 'grammar-too-complex'
  | 'grammar-rejected'
  | 'grammar-unavailable'
  | 'unsupported-feature'
  /** The engine's library cannot do what the Engine contract asks (the message names it). */
  | 'engine-unsupported';

/**
 * The one error type Ruminate throws. `code` says what went wrong for programs, the
 * message says it for people (what was wrong and what to do), and `field` names the
 * offending parameter when the caller passed a bad value.
 */
export class RuminateError extends Error {
  override readonly name = 'RuminateError';
  /** Machine-readable category of the failure. */
  readonly code: RuminateErrorCode;
  /** The request field that was invalid, when one was. */
  readonly field: string | undefined;

  constructor(code: RuminateErrorCode, message: string, options?: { cause?: unknown; field?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options?.field;
  }
}

/** True when `e` is a RuminateError, optionally of the given code. */
export function isRuminateError(e: unknown, code?: RuminateErrorCode): e is RuminateError {
  return e instanceof RuminateError && (code === undefined || e.code === code);
}
