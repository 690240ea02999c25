// Failures as OpenAI's API reports them: `{ error: { message, type, param, code } }` with the
// HTTP status a client library branches on (400 bad field, 401 key, 404 model or path, 413 body,
// 429 busy with Retry-After, 503 shutting down, 500 anything else). The `code` is Ruminate's.

import { isRuminateError, type RuminateErrorCode } from '@ruminate/errors';

/** An error reply: status, OpenAI-shaped body, extra headers. */
export interface ErrorReply {
  status: number;
  body: { error: { message: string; type: string; param: string | null; code: string } };
  headers: Record<string, string>;
}

/** HTTP status per Ruminate error code (the rest are 500). */
const STATUS: Partial<Record<RuminateErrorCode, number>> = {
  'invalid-argument': 400,
  'unknown-strategy': 400,
  'budget-too-small': 400,
  'context-overflow': 400,
  'verifier-failed': 400,
  'chat-template-failed': 400,
  'chat-template-missing': 400,
  'invalid-schema': 400,
  'unsupported-schema': 400,
  'invalid-grammar': 400,
  'grammar-too-complex': 400,
  'grammar-rejected': 400,
  'grammar-unavailable': 400,
  unauthorized: 401,
  'unknown-model': 404,
  'not-found': 404,
  'request-too-large': 413,
  'kv-cache-full': 429,
  'server-closing': 503,
  aborted: 499,
};

/** OpenAI's `type` for a status. */
function typeOf(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status < 500) return 'invalid_request_error';
  return 'server_error';
}

/** The reply for any thrown value (a non-Ruminate error is an internal one; its text is not sent). */
export function errorReply(e: unknown, retryAfterS = 1): ErrorReply {
  const known = isRuminateError(e);
  const status = known ? (STATUS[e.code] ?? 500) : 500;
  const headers: Record<string, string> = {};
  if (status === 429 || status === 503) headers['retry-after'] = String(retryAfterS);
  return {
    status,
    headers,
    body: {
      error: {
        message: known ? e.message : 'Internal server error; the server logged the details.',
        type: typeOf(status),
        param: known ? (e.field ?? null) : null,
        code: known ? e.code : 'internal',
      },
    },
  };
}
