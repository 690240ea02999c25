// WebLLM's cache helpers over Ruminate's model cache in the Origin Private File System
// (`OpfsModelCache`, keyed by URL). Ruminate's default engine reads models with HTTP range
// requests and stores nothing, so these find a model only where an app's engine caches to OPFS.

import { OpfsModelCache } from '@ruminate/runtime';
import { prebuiltAppConfig, resolveModel } from './app-config.ts';
import type { AppConfig } from './config-types.ts';

/** The cache keys a model may be stored under: its URL as written, and resolved against the page. */
function keysOf(modelId: string, appConfig: AppConfig | undefined): string[] {
  const { url } = resolveModel(modelId, appConfig ?? prebuiltAppConfig);
  const base = (globalThis as { location?: { href: string } }).location?.href;
  const keys = [url];
  if (base) {
    try {
      keys.push(new URL(url, base).href);
    } catch {
      // not a URL: only the key as written
    }
  }
  return [...new Set(keys)];
}

function opfs(): OpfsModelCache | undefined {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  return typeof storage?.getDirectory === 'function' ? new OpfsModelCache() : undefined;
}

/** True when the model's GGUF is in the OPFS model cache. */
export async function hasModelInCache(modelId: string, appConfig?: AppConfig): Promise<boolean> {
  const cache = opfs();
  if (!cache) return false;
  const keys = keysOf(modelId, appConfig);
  const stored = await cache.list();
  return stored.some((m) => keys.includes(m.key));
}

/** Removes the model's GGUF from the OPFS model cache. */
export async function deleteModelInCache(modelId: string, appConfig?: AppConfig): Promise<void> {
  const cache = opfs();
  if (!cache) return;
  await Promise.all(keysOf(modelId, appConfig).map((k) => cache.delete(k)));
}

/** Removes everything cached for the model (here: its GGUF; there is no separate config or library). */
export function deleteModelAllInfoInCache(modelId: string, appConfig?: AppConfig): Promise<void> {
  return deleteModelInCache(modelId, appConfig);
}
