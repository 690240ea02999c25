// A ByteSource over bytes already in memory (tests, fixtures, small files).

import type { ByteSource } from './types.ts';

/** Wraps `bytes` as a ByteSource; reads return views, not copies. */
export function memorySource(bytes: Uint8Array, name = 'memory'): ByteSource {
  return {
    size: bytes.length,
    name,
    read: async (offset, length) => bytes.subarray(offset, offset + length),
  };
}
