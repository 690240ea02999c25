// Retrying an HTTP call to a server that is busy or failing: exponential backoff with full jitter
// (each wait uniform in [0, base·2^attempt], capped), and a server's `Retry-After` (seconds or an
// HTTP date, RFC 9110 §10.2.3) taking precedence when it names a longer wait.

/** When and how often to retry. */
export interface RetryPolicy {
  /** Retries after the first try (default 4). */
  retries: number;
  /** First backoff ceiling in ms (default 250). */
  baseMs: number;
  /** Longest single wait in ms, Retry-After included (default 30 000). */
  maxWaitMs: number;
}

/** The default policy. */
export const DEFAULT_RETRY: RetryPolicy = { retries: 4, baseMs: 250, maxWaitMs: 30_000 };

/** True for statuses worth retrying: 408, 429 and 5xx except 501 (the server will not change its mind about those). */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501);
}

/** Milliseconds a `Retry-After` header asks for, or undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, nowMs: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** The wait before retry `attempt` (0-based): full jitter, or the server's Retry-After when longer; capped. */
export function backoffMs(
  attempt: number,
  policy: RetryPolicy,
  retryAfter: number | undefined,
  random: () => number = Math.random,
): number {
  const jitter = random() * policy.baseMs * 2 ** attempt;
  return Math.min(policy.maxWaitMs, Math.max(jitter, retryAfter ?? 0));
}

/** Resolves after `ms`, or rejects with the signal's reason when it fires first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
