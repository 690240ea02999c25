// A SpeedCache in a JSON file, for Node (the CLI): $RUMINATE_CACHE_DIR or ~/.cache/ruminate,
// then decode-speed.json — next to the kernel tuner's cache.

import type { SpeedCache } from './measure.ts';
import type { DecodeSpeed } from './types.ts';

/** The default cache file path. */
export async function defaultSpeedCachePath(): Promise<string> {
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = process.env.RUMINATE_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'ruminate');
  return path.join(dir, 'decode-speed.json');
}

/** A cache kept in the JSON file at `file` (created on first write; a corrupt file is treated as empty). */
export function fileSpeedCache(file?: string): SpeedCache {
  const read = async (): Promise<Record<string, DecodeSpeed>> => {
    const fs = await import('node:fs/promises');
    try {
      return JSON.parse(await fs.readFile(file ?? (await defaultSpeedCachePath()), 'utf8')) as Record<
        string,
        DecodeSpeed
      >;
    } catch {
      return {};
    }
  };
  return {
    async get(key) {
      return (await read())[key];
    },
    async set(key, speed) {
      const fs = await import('node:fs/promises');
      const path = await import('node:path');
      const target = file ?? (await defaultSpeedCachePath());
      const all = await read();
      all[key] = speed;
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(target, `${JSON.stringify(all, null, 2)}\n`);
    },
  };
}
