// Reading a request body as JSON within a size limit: a body over the limit is refused as soon as
// it passes it (413, the rest is not read), one that is not JSON or not an object is a 400.

import type { IncomingMessage } from 'node:http';
import { RuminateError } from '@ruminate/errors';

/** The body of `req` parsed as a JSON object, or a RuminateError (`request-too-large`, `invalid-argument`). */
export async function readJsonObject(
  req: IncomingMessage,
  limitBytes: number,
): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limitBytes) throw tooLarge(limitBytes);
    chunks.push(b);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (e) {
    throw new RuminateError('invalid-argument', `The body is not valid JSON (${(e as Error).message}).`, {
      field: 'body',
    });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RuminateError('invalid-argument', 'The body must be a JSON object.', { field: 'body' });
  }
  return value as Record<string, unknown>;
}

function tooLarge(limit: number): RuminateError {
  return new RuminateError(
    'request-too-large',
    `The body is larger than ${limit} bytes; send a shorter prompt.`,
  );
}
