// Measuring decode speed at 1, 4 and 16 parallel sequences on the loaded model, once per model
// and device: the result is kept in a cache (in memory by default; pass a persistent one, e.g.
// over localStorage or a file, to keep it across sessions).

import { RuminateError } from '@ruminate/errors';
import type { Engine, ModelInfo } from '@ruminate/runtime';
import type { DecodeSpeed, SpeedPoint } from './types.ts';

/** Where measured speeds are kept. */
export interface SpeedCache {
  /** The cached speed for `key`, if any. */
  get(key: string): DecodeSpeed | undefined | Promise<DecodeSpeed | undefined>;
  /** Stores a measurement. */
  set(key: string, speed: DecodeSpeed): void | Promise<void>;
}

/** A process-wide in-memory cache (the default). */
export const memorySpeedCache: SpeedCache = (() => {
  const m = new Map<string, DecodeSpeed>();
  return { get: (k) => m.get(k), set: (k, v) => void m.set(k, v) };
})();

/** Cache key for a model on a device. */
export function speedCacheKey(info: ModelInfo | undefined, device = 'default'): string {
  if (!info) return `unknown|${device}`;
  return [
    info.architecture,
    info.name ?? '',
    info.parameters,
    info.weightType,
    info.weightBytes,
    device,
    // The same device decodes at different rates on each backend (and wasm thread count).
    ...(info.backend ? [info.backend === 'wasm' ? `wasm×${info.threads?.count ?? 1}` : info.backend] : []),
  ].join('|');
}

/** Options of `measureDecodeSpeed`. */
export interface MeasureOptions {
  /** Widths to measure (default 1, 4, 16). */
  widths?: readonly number[];
  /** Timed decode steps per width (default 8, after one warm-up step). */
  steps?: number;
  /** Prompt length used to time prefill (default 32). */
  promptTokens?: number;
  /** Clock in ms (default performance.now). */
  now?: () => number;
  /** Cancels the measurement (all sequences are released). */
  signal?: AbortSignal;
}

/** Measures aggregate decode tokens/s at each width, and prefill tokens/s, with greedy steps. */
export async function measureDecodeSpeed(engine: Engine, opts: MeasureOptions = {}): Promise<DecodeSpeed> {
  const now = opts.now ?? (() => performance.now());
  const widths = opts.widths ?? [1, 4, 16];
  const steps = opts.steps ?? 8;
  const probe = await engine.tokenize('The', { addBos: true });
  // Any token will do for timing; a vocabulary without "The" gets token 1.
  const seed = probe.length > 0 ? probe : [1];
  const prompt = Array.from({ length: opts.promptTokens ?? 32 }, (_, i) => seed[i % seed.length] as number);
  const live: number[] = [];
  const check = () => {
    if (opts.signal?.aborted) throw new RuminateError('aborted', 'Speed measurement was aborted.');
  };
  try {
    // Warm-up: a prefill of the same length but other tokens (so no cached prefix is reused)
    // compiles the pipelines for that pass shape before anything is timed.
    const vocab = (await engine.info())?.vocabSize ?? 2;
    const other = ((prompt[1] ?? prompt[0] ?? 0) + 1) % Math.max(2, vocab);
    const warm = await engine.createSequence(prompt.map((t, i) => (i === 0 ? t : other)));
    live.push(warm);
    await engine.step([{ seq: warm, sampling: { temperature: 0 } }]);
    await engine.free(warm);
    live.pop();
    const base = await engine.createSequence(prompt);
    live.push(base);
    const t0 = now();
    await engine.step([{ seq: base, sampling: { temperature: 0 } }]);
    const prefillMs = now() - t0;
    const points: SpeedPoint[] = [];
    for (const width of widths) {
      check();
      const seqs = await engine.fork(base, width);
      live.push(...seqs);
      const req = seqs.map((seq) => ({ seq, sampling: { temperature: 0 } }));
      await engine.step(req); // warm-up (pipelines, copy-on-write of the shared page)
      const t = now();
      for (let s = 0; s < steps; s++) {
        check();
        await engine.step(req);
      }
      const seconds = Math.max(1e-9, (now() - t) / 1000);
      points.push({ width, tokensPerSecond: (width * steps) / seconds });
      for (const s of seqs) await engine.free(s);
      live.splice(live.length - seqs.length, seqs.length);
    }
    const speed: DecodeSpeed = { points, source: 'measured' };
    if (prefillMs > 0) speed.prefillTokensPerSecond = (prompt.length * 1000) / prefillMs;
    return speed;
  } finally {
    await Promise.all(live.map((s) => engine.free(s).catch(() => {})));
  }
}

/** The cached speed for this model and device, measuring it on a miss. */
export async function cachedDecodeSpeed(
  engine: Engine,
  opts: MeasureOptions & { cache?: SpeedCache; device?: string } = {},
): Promise<DecodeSpeed> {
  const cache = opts.cache ?? memorySpeedCache;
  const key = speedCacheKey(await engine.info(), opts.device);
  const hit = await cache.get(key);
  if (hit) return hit;
  const speed = await measureDecodeSpeed(engine, opts);
  await cache.set(key, speed);
  return speed;
}
