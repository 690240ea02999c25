import { nodeImport } from '../device/node-gpu.ts';
import type { TuningRecord, TuningStore } from './store.ts';

/** Default tuning-cache file: $RUMINATE_CACHE_DIR or ~/.cache/ruminate, then tuning.json. */
export async function defaultTuningFile(): Promise<string> {
  const os: typeof import('node:os') = await nodeImport('node:os');
  const path: typeof import('node:path') = await nodeImport('node:path');
  const dir = process.env.RUMINATE_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'ruminate');
  return path.join(dir, 'tuning.json');
}

/** Winners in a JSON file (Node). Writes atomically (temp file + rename). */
export class FileTuningStore implements TuningStore {
  constructor(private readonly file?: string) {}

  private async path(): Promise<string> {
    return this.file ?? defaultTuningFile();
  }

  async load(): Promise<Record<string, TuningRecord>> {
    const fs: typeof import('node:fs/promises') = await nodeImport('node:fs/promises');
    try {
      return JSON.parse(await fs.readFile(await this.path(), 'utf8')) as Record<string, TuningRecord>;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || e instanceof SyntaxError) return {};
      throw e;
    }
  }

  async save(records: Record<string, TuningRecord>): Promise<void> {
    const fs: typeof import('node:fs/promises') = await nodeImport('node:fs/promises');
    const path: typeof import('node:path') = await nodeImport('node:path');
    const file = await this.path();
    const merged = { ...(await this.load()), ...records };
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(tmp, `${JSON.stringify(merged, null, 1)}\n`);
    await fs.rename(tmp, file);
  }

  async clear(): Promise<void> {
    const fs: typeof import('node:fs/promises') = await nodeImport('node:fs/promises');
    await fs.rm(await this.path(), { force: true });
  }
}
