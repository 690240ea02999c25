// Browser model cache in the Origin Private File System (navigator.storage.getDirectory()):
// each entry a file plus a JSON record in one directory. Files are written through
// `createWritable()` (streamed, committed on close, discarded on abort), hashed as they
// stream, and read back as disk-backed File slices, so a multi-gigabyte model never sits in
// JS memory. Quota problems are checked up front with navigator.storage.estimate() and
// reported as `storage-quota` errors.

import type { ByteSource } from '../gguf/types.ts';
import { integrityMismatch, normalizeSha256, sizeMismatch, storageQuota } from './cache-errors.ts';
import { cacheEntryName } from './directory-cache.ts';
import { blobSource } from './file-source.ts';
import type { CachedModel, ModelCache } from './model-cache.ts';
import { Sha256 } from './sha256.ts';

interface WritableFileStream {
  write(data: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

function isQuotaError(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'QuotaExceededError';
}

/** A ModelCache in the Origin Private File System (browsers, including workers). */
export class OpfsModelCache implements ModelCache {
  constructor(readonly directoryName = 'ruminate-models') {}

  private async dir(): Promise<FileSystemDirectoryHandle> {
    const root = await navigator.storage.getDirectory();
    return root.getDirectoryHandle(this.directoryName, { create: true });
  }

  private async record(dir: FileSystemDirectoryHandle, name: string): Promise<CachedModel | undefined> {
    try {
      const f = await (await dir.getFileHandle(name)).getFile();
      return JSON.parse(await f.text()) as CachedModel;
    } catch {
      return undefined;
    }
  }

  async get(key: string): Promise<{ source: ByteSource; info: CachedModel } | undefined> {
    const dir = await this.dir();
    const stem = cacheEntryName(key);
    const info = await this.record(dir, `${stem}.json`);
    if (!info || info.key !== key) return undefined;
    try {
      const dataName = (info as CachedModel & { dataName?: string }).dataName ?? `${stem}.bin`;
      const file = await (await dir.getFileHandle(dataName)).getFile();
      if (file.size !== info.size) return undefined;
      return { source: blobSource(file, key), info };
    } catch {
      return undefined;
    }
  }

  async put(
    key: string,
    chunks: AsyncIterable<Uint8Array>,
    want: { size: number; sha256?: string },
  ): Promise<{ source: ByteSource; info: CachedModel }> {
    const est = await navigator.storage.estimate?.().catch(() => undefined);
    const available = est?.quota !== undefined ? est.quota - (est.usage ?? 0) : undefined;
    if (available !== undefined && available < want.size) throw storageQuota(key, want.size, available);
    const dir = await this.dir();
    const stem = cacheEntryName(key);
    const partial = `${stem}.partial`;
    const handle = await dir.getFileHandle(partial, { create: true });
    const writable = (await (
      handle as unknown as { createWritable(): Promise<WritableFileStream> }
    ).createWritable()) as WritableFileStream;
    const hash = new Sha256();
    let size = 0;
    try {
      for await (const chunk of chunks) {
        hash.update(chunk);
        await writable.write(chunk);
        size += chunk.length;
      }
      await writable.close();
    } catch (e) {
      await writable.abort().catch(() => undefined);
      await dir.removeEntry(partial).catch(() => undefined);
      if (isQuotaError(e)) throw storageQuota(key, want.size, available, e);
      throw e;
    }
    const sha256 = hash.hex();
    if (size !== want.size || (want.sha256 !== undefined && normalizeSha256(want.sha256) !== sha256)) {
      await dir.removeEntry(partial).catch(() => undefined);
      if (size !== want.size) throw sizeMismatch(key, size, want.size);
      throw integrityMismatch(key, normalizeSha256(want.sha256 as string), sha256);
    }
    // OPFS has no portable rename: `move()` exists in Chromium; otherwise keep the partial name.
    const movable = handle as unknown as { move?: (name: string) => Promise<void> };
    const dataName = movable.move ? `${stem}.bin` : partial;
    if (movable.move) await movable.move(dataName);
    const info: CachedModel = { key, size, sha256, storedAt: Date.now() };
    try {
      const rec = await (
        (await dir.getFileHandle(`${stem}.json`, { create: true })) as unknown as {
          createWritable(): Promise<WritableFileStream>;
        }
      ).createWritable();
      await rec.write(new TextEncoder().encode(JSON.stringify({ ...info, dataName })));
      await rec.close();
    } catch (e) {
      if (isQuotaError(e)) throw storageQuota(key, want.size, available, e);
      throw e;
    }
    const file = await (await dir.getFileHandle(dataName)).getFile();
    return { source: blobSource(file, key), info };
  }

  async list(): Promise<CachedModel[]> {
    const dir = await this.dir();
    const out: CachedModel[] = [];
    for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) {
      if (!name.endsWith('.json')) continue;
      const info = await this.record(dir, name);
      if (info) out.push({ key: info.key, size: info.size, sha256: info.sha256, storedAt: info.storedAt });
    }
    return out.sort((a, b) => a.storedAt - b.storedAt);
  }

  async delete(key: string): Promise<boolean> {
    const dir = await this.dir();
    const stem = cacheEntryName(key);
    const existed = (await this.record(dir, `${stem}.json`)) !== undefined;
    for (const n of [`${stem}.json`, `${stem}.bin`, `${stem}.partial`])
      await dir.removeEntry(n).catch(() => undefined);
    return existed;
  }

  async clear(): Promise<void> {
    const root = await navigator.storage.getDirectory();
    await root.removeEntry(this.directoryName, { recursive: true }).catch(() => undefined);
  }
}
