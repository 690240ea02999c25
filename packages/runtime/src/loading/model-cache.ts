// The model cache contract shared by the browser (OPFS) and Node (directory) caches: whole
// files stored under a key (usually the URL), with their size and SHA-256 recorded, listed
// and cleared by the user. An entry appears only once completely written and verified.

import type { ByteSource } from '../gguf/types.ts';

/** One cached file. */
export interface CachedModel {
  /** The key it was stored under (usually the URL). */
  key: string;
  /** Size in bytes. */
  size: number;
  /** Lower-case hex SHA-256 of the content. */
  sha256: string;
  /** When it was stored (ms since the epoch). */
  storedAt: number;
}

/** A persistent store of model files. */
export interface ModelCache {
  /** The stored file as a ByteSource, or undefined when absent. */
  get(key: string): Promise<{ source: ByteSource; info: CachedModel } | undefined>;
  /**
   * Stores `chunks` (exactly `size` bytes) under `key`, hashing as it writes; with `sha256`
   * set, a mismatch discards the data and throws `integrity-mismatch`. Not enough space
   * throws `storage-quota`.
   */
  put(
    key: string,
    chunks: AsyncIterable<Uint8Array>,
    info: { size: number; sha256?: string },
  ): Promise<{ source: ByteSource; info: CachedModel }>;
  /** Everything stored. */
  list(): Promise<CachedModel[]>;
  /** Removes one entry; true when it existed. */
  delete(key: string): Promise<boolean>;
  /** Removes every entry. */
  clear(): Promise<void>;
}
