// Errors shared by the model caches.

import { RuminateError } from '@ruminate/errors';

/** The error for content whose SHA-256 is not the expected one. */
export function integrityMismatch(key: string, expected: string, actual: string): RuminateError {
  return new RuminateError(
    'integrity-mismatch',
    `${key}: SHA-256 is ${actual}, expected ${expected}. The download is corrupt or the file changed upstream; nothing was cached. Check the expected hash, then load again.`,
  );
}

/** The error for a model that does not fit the storage left. */
export function storageQuota(
  key: string,
  needed: number,
  available: number | undefined,
  cause?: unknown,
): RuminateError {
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
  return new RuminateError(
    'storage-quota',
    `Not enough storage to cache ${key}: it needs ${mib(needed)}${available === undefined ? '' : ` but only ${mib(available)} is available`}. Free space by deleting cached models (cache.list() / cache.delete(key) / cache.clear()), or load without a cache.`,
    { cause },
  );
}

/** Lower-case hex, or an error for a malformed expected hash. */
export function normalizeSha256(sha256: string): string {
  const s = sha256.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(s)) {
    throw new RuminateError('invalid-argument', `sha256 must be 64 hex digits, got '${sha256}'.`, {
      field: 'sha256',
    });
  }
  return s;
}

/** The error for a download that delivered a different number of bytes than announced. */
export function sizeMismatch(key: string, got: number, expected: number): RuminateError {
  return new RuminateError(
    'fetch-failed',
    `${key}: received ${got} bytes where ${expected} were announced; the file changed on the server or the download broke. Nothing was cached; load again.`,
  );
}
