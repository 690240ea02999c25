// A ByteSource over an HTTP(S) URL using Range requests (RFC 9110 §14). Streams are
// resumable: when a connection drops mid-body, the read continues from the last byte
// received with a new Range request, up to `retries` times in a row.

import { RuminateError } from '@ruminate/errors';
import type { ByteSource } from '../gguf/types.ts';

/** Options for `openHttpSource`. */
export interface HttpSourceOptions {
  /** fetch implementation (default: globalThis.fetch). */
  fetch?: typeof fetch;
  /** Extra request headers (e.g. authorization). */
  headers?: Record<string, string>;
  /** Consecutive failed attempts tolerated per stream before giving up (default 5). */
  retries?: number;
  /** Cancels requests. */
  signal?: AbortSignal;
}

/** Total size from a `Content-Range: bytes a-b/N` header. */
function totalFromContentRange(v: string | null): number | undefined {
  const m = v?.match(/\/(\d+)\s*$/);
  return m ? Number(m[1]) : undefined;
}

function failed(url: string, what: string, cause?: unknown): RuminateError {
  return new RuminateError(
    'fetch-failed',
    `Downloading ${url} failed: ${what}. Check the URL and your connection, then retry.`,
    {
      cause,
    },
  );
}

/** Opens `url` for random access; one small request learns the size and checks Range support. */
export async function openHttpSource(
  url: string | URL,
  options: HttpSourceOptions = {},
): Promise<ByteSource> {
  const href = String(url);
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const retries = options.retries ?? 5;
  const permanent = new WeakSet<object>();
  const get = async (range: string): Promise<Response> => {
    options.signal?.throwIfAborted();
    let res: Response;
    try {
      res = await doFetch(href, {
        headers: { ...options.headers, Range: range },
        signal: options.signal ?? null,
      });
    } catch (e) {
      if (options.signal?.aborted)
        throw new RuminateError('aborted', `Download of ${href} was aborted.`, { cause: e });
      throw failed(href, String(e), e);
    }
    if (res.status === 200) {
      await res.body?.cancel();
      const e = failed(
        href,
        'the server ignores HTTP Range requests (answered 200, not 206); serve the file from a host that supports them',
      );
      permanent.add(e);
      throw e;
    }
    if (res.status !== 206) {
      await res.body?.cancel();
      const e = failed(href, `HTTP ${res.status} ${res.statusText}`);
      // Client errors (404, 403, 416…) will not heal on retry; server errors (5xx) may.
      if (res.status < 500) permanent.add(e);
      throw e;
    }
    return res;
  };

  const probe = await get('bytes=0-0');
  const size = totalFromContentRange(probe.headers.get('content-range'));
  await probe.body?.cancel();
  if (size === undefined) throw failed(href, 'the server sent no Content-Range total');

  async function* stream(offset: number, length: number): AsyncGenerator<Uint8Array> {
    const end = offset + length;
    let pos = offset;
    let failures = 0;
    while (pos < end) {
      let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
      try {
        const res = await get(`bytes=${pos}-${end - 1}`);
        if (!res.body) throw failed(href, 'empty response body');
        reader = res.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          const take = value.subarray(0, Math.min(value.length, end - pos));
          if (take.length > 0) {
            pos += take.length;
            failures = 0;
            yield take;
          }
          if (pos >= end) break;
        }
      } catch (e) {
        if (e instanceof RuminateError && (e.code !== 'fetch-failed' || permanent.has(e))) throw e;
        if (options.signal?.aborted)
          throw new RuminateError('aborted', `Download of ${href} was aborted.`, { cause: e });
        if (++failures > retries)
          throw failed(href, `connection lost at byte ${pos} ${failures} times in a row (${String(e)})`, e);
      } finally {
        await reader?.cancel().catch(() => undefined);
      }
      // A body that ended early (dropped connection) loops round and resumes at `pos`.
    }
  }

  return {
    size,
    name: href,
    stream,
    async read(offset, length) {
      const out = new Uint8Array(length);
      let at = 0;
      for await (const chunk of stream(offset, length)) {
        out.set(chunk, at);
        at += chunk.length;
      }
      return out;
    },
  };
}
