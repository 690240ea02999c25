// Node model cache: one directory, each entry a data file plus a JSON record. Data is
// written to a temporary file, hashed as it streams, and renamed into place only when
// complete and verified, so an interrupted download never leaves a corrupt entry.

import type { ByteSource } from '../gguf/types.ts';
import { integrityMismatch, normalizeSha256, sizeMismatch, storageQuota } from './cache-errors.ts';
import { openFileSource } from './file-source.ts';
import type { CachedModel, ModelCache } from './model-cache.ts';
import { Sha256 } from './sha256.ts';

/** File-name stem for a key: a hash prefix (unique) plus the key's last path segment (readable). */
export function cacheEntryName(key: string): string {
  const hash = new Sha256().update(new TextEncoder().encode(key)).hex().slice(0, 16);
  const base = (
    key
      .split(/[/\\?#]/)
      .filter(Boolean)
      .pop() ?? 'model'
  )
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .slice(0, 80);
  return `${hash}-${base}`;
}

/** A ModelCache in a directory on disk (Node). */
export class DirectoryModelCache implements ModelCache {
  constructor(readonly dir: string) {}

  private paths(key: string) {
    const stem = `${this.dir}/${cacheEntryName(key)}`;
    return { data: `${stem}.bin`, record: `${stem}.json` };
  }

  async get(key: string): Promise<{ source: ByteSource; info: CachedModel } | undefined> {
    const fs = await import('node:fs/promises');
    const p = this.paths(key);
    const info = await fs
      .readFile(p.record, 'utf8')
      .then((s) => JSON.parse(s) as CachedModel)
      .catch(() => undefined);
    if (!info || info.key !== key) return undefined;
    const source = await openFileSource(p.data).catch(() => undefined);
    if (!source || source.size !== info.size) {
      await source?.close();
      return undefined;
    }
    return { source, info };
  }

  async put(
    key: string,
    chunks: AsyncIterable<Uint8Array>,
    want: { size: number; sha256?: string },
  ): Promise<{ source: ByteSource; info: CachedModel }> {
    const fs = await import('node:fs/promises');
    await fs.mkdir(this.dir, { recursive: true });
    const free = await fs.statfs(this.dir).then(
      (s) => s.bavail * s.bsize,
      () => undefined,
    );
    if (free !== undefined && free < want.size) throw storageQuota(key, want.size, free);
    const p = this.paths(key);
    const tmp = `${p.data}.${process.pid}.partial`;
    const handle = await fs.open(tmp, 'w');
    const hash = new Sha256();
    let size = 0;
    try {
      for await (const chunk of chunks) {
        hash.update(chunk);
        await handle.write(chunk, 0, chunk.length, size);
        size += chunk.length;
      }
    } catch (e) {
      await handle.close();
      await fs.rm(tmp, { force: true });
      if ((e as { code?: string }).code === 'ENOSPC') throw storageQuota(key, want.size, free, e);
      throw e;
    }
    await handle.close();
    const sha256 = hash.hex();
    if (size !== want.size || (want.sha256 !== undefined && normalizeSha256(want.sha256) !== sha256)) {
      await fs.rm(tmp, { force: true });
      if (size !== want.size) throw sizeMismatch(key, size, want.size);
      throw integrityMismatch(key, normalizeSha256(want.sha256 as string), sha256);
    }
    await fs.rename(tmp, p.data);
    const info: CachedModel = { key, size, sha256, storedAt: Date.now() };
    await fs.writeFile(p.record, JSON.stringify(info));
    return { source: await openFileSource(p.data), info };
  }

  async list(): Promise<CachedModel[]> {
    const fs = await import('node:fs/promises');
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    const out: CachedModel[] = [];
    for (const n of names) {
      if (!n.endsWith('.json')) continue;
      const info = await fs
        .readFile(`${this.dir}/${n}`, 'utf8')
        .then((s) => JSON.parse(s) as CachedModel)
        .catch(() => undefined);
      if (info) out.push(info);
    }
    return out.sort((a, b) => a.storedAt - b.storedAt);
  }

  async delete(key: string): Promise<boolean> {
    const fs = await import('node:fs/promises');
    const p = this.paths(key);
    const existed = await fs.stat(p.record).then(
      () => true,
      () => false,
    );
    await fs.rm(p.record, { force: true });
    await fs.rm(p.data, { force: true });
    return existed;
  }

  async clear(): Promise<void> {
    for (const e of await this.list()) await this.delete(e.key);
  }
}
