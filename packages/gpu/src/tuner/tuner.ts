import { median } from '../device/measure/timing.ts';
import type { KernelConfig, TunedConfigLookup } from '../ops/context.ts';
import { searchOrder } from './search-order.ts';
import type { TuningRecord, TuningStore } from './store.ts';
import { createGpuTimer } from './timer.ts';
import type { Tunable } from './tunable.ts';

/** How the tuner spends its time. */
export interface TuneOptions {
  /** Total time for all tunables, compile time included (default 30 000 ms). */
  budgetMs?: number;
  /** Timed runs per candidate after a warm-up; the median counts (default 5). */
  reps?: number;
  /** Timer preference (default `timestamp`, falling back to wall clock). */
  timer?: 'timestamp' | 'wall';
  /** Re-tune even when a winner is cached. */
  force?: boolean;
  /** Called after each candidate is timed. */
  onProgress?: (p: { op: string; bucket: string; candidate: number; candidates: number }) => void;
  /** Stops tuning; winners found so far are kept. */
  signal?: AbortSignal;
}

/** What the tuner decided for one op and bucket. */
export interface TuneResult {
  /** Op name. */
  op: string;
  /** Shape bucket. */
  bucket: string;
  /** The winning configuration. */
  winner: KernelConfig;
  /** Winner's median ms. */
  ms: number;
  /** The shipped default's median ms. */
  defaultMs: number;
  /** Candidates timed (≤ candidates declared when the budget ran out; 0 when it ran out before this op). */
  timed: number;
  /** Candidates declared. */
  candidates: number;
  /** Wall ms spent tuning this op (0 when the cached winner was reused). */
  tuneMs: number;
  /** True when the winner came from the cache with no timing. */
  cached: boolean;
  /** Work of one run, for rates. */
  work: { flops: number; bytes: number };
}

/** All results of one `tune` call. */
export interface TuneReport {
  /** One entry per tunable. */
  results: TuneResult[];
  /** Wall ms of the whole call. */
  totalMs: number;
  /** Which timer measured. */
  timer: 'timestamp' | 'wall';
}

/** A candidate whose first run is this many times slower than the best so far is not timed further. */
const REJECT_FACTOR = 1.5;

/**
 * Times each op's candidates on this device within a budget and keeps the fastest per
 * (device identity, op, shape bucket), persisted in a TuningStore so the next run reuses
 * them with no tuning time. `lookup` serves winners to ops (the shipped default until a
 * winner exists, so tuning can run in the background while the default serves).
 */
export class Tuner {
  private readonly winners = new Map<string, TuningRecord>();
  /** Wall ms per flop the last op's default took to compile and time (what starting another op costs at least). */
  private defaultMsPerFlop = 0;
  /** Per op, per candidate (its JSON): times relative to the default seen on this device. */
  private readonly ratios = new Map<string, Map<string, number[]>>();

  private constructor(
    private readonly device: GPUDevice,
    private readonly identity: string,
    private readonly store: TuningStore,
  ) {}

  /** A tuner for `device`, loaded with the store's winners for this identity. */
  static async open(device: GPUDevice, identity: string, store: TuningStore): Promise<Tuner> {
    const tuner = new Tuner(device, identity, store);
    for (const [key, record] of Object.entries(await store.load())) {
      if (!key.startsWith(`${identity}|`)) continue;
      const opBucket = key.slice(identity.length + 1);
      tuner.winners.set(opBucket, record);
      tuner.observe(
        opBucket.slice(0, opBucket.lastIndexOf('|')),
        record.config,
        record.ms / record.defaultMs,
      );
    }
    return tuner;
  }

  /** The tuned configuration for an op and bucket, if any (pass as `KernelContext.tuned`). */
  readonly lookup: TunedConfigLookup = (op, bucket) => this.winners.get(`${op}|${bucket}`)?.config;

  /** Number of winners known for this device. */
  get size(): number {
    return this.winners.size;
  }

  /** Tunes every tunable within the budget, persisting winners as they are found. */
  async tune(tunables: readonly Tunable[], options: TuneOptions = {}): Promise<TuneReport> {
    const started = performance.now();
    const budget = options.budgetMs ?? 30_000;
    const reps = options.reps ?? 5;
    const timer = createGpuTimer(this.device, options.timer);
    const results: TuneResult[] = [];
    try {
      for (const [i, t] of tunables.entries()) {
        const key = `${t.op}|${t.bucket}`;
        const cached = this.winners.get(key);
        if (cached && !options.force) {
          results.push(resultOf(t, cached, 0, true));
          continue;
        }
        const left = budget - (performance.now() - started);
        // What this op's default will cost at least: the last default's wall time per flop, scaled.
        if (options.signal?.aborted || (i > 0 && left <= this.defaultMsPerFlop * t.work.flops)) {
          // Stopped, or the budget is spent (or cannot hold this op's default, judged by the last one's):
          // the rest keep their defaults for now and are tuned by a later call (a later load),
          // which skips what is cached and continues here.
          results.push(untimedResult(t));
          continue;
        }
        const share = left / (tunables.length - i);
        const record = await this.tuneOne(t, share, reps, timer.time.bind(timer), options);
        this.winners.set(key, record);
        await this.store.save({ [`${this.identity}|${key}`]: record });
        results.push(resultOf(t, record, record.tuneMs ?? 0, false));
      }
    } finally {
      timer.dispose();
    }
    return { results, totalMs: performance.now() - started, timer: timer.kind };
  }

  /** Records a candidate's time relative to the default (ignored when not finite). */
  private observe(op: string, config: KernelConfig, ratio: number): void {
    if (!Number.isFinite(ratio) || ratio <= 0) return;
    const byConfig = this.ratios.get(op) ?? new Map<string, number[]>();
    this.ratios.set(op, byConfig);
    const key = JSON.stringify(config);
    byConfig.set(key, [...(byConfig.get(key) ?? []), ratio]);
  }

  private async tuneOne(
    t: Tunable,
    shareMs: number,
    reps: number,
    time: (record: (e: GPUCommandEncoder) => void, reps: number) => Promise<number>,
    options: TuneOptions,
  ): Promise<TuningRecord & { tuneMs: number }> {
    const started = performance.now();
    // What did well on this device for other shapes of the op goes first (see search-order.ts).
    const seen = this.ratios.get(t.op);
    const priors = new Map<number, number>();
    t.candidates.forEach((c, i) => {
      const r = seen?.get(JSON.stringify(c));
      if (r) priors.set(i, median(r));
    });
    const order = searchOrder(t.candidates.length, t.defaultIndex, priors);
    const timings: [KernelConfig, number][] = [];
    let best = { index: t.defaultIndex, ms: Number.POSITIVE_INFINITY };
    let defaultMs = Number.POSITIVE_INFINITY;
    let timed = 0;
    let lastCost = 0;
    for (const index of order) {
      // The default is always timed; others only while this op's share of the budget lasts —
      // and only when one more candidate, costing about what the last one did, still fits.
      const elapsed = performance.now() - started;
      if (timed > 0 && (elapsed + lastCost > shareMs || options.signal?.aborted)) break;
      const candidateStart = performance.now();
      const config = t.candidates[index] as KernelConfig;
      try {
        await t.prepare(config);
      } catch {
        continue; // A candidate this device cannot compile (e.g. too much workgroup memory) is skipped.
      }
      // One timed run first: a candidate already 1.5× slower than the best is not worth the
      // median of `reps` (on slow adapters this is most of a budget's saving).
      const probe = await time((e) => t.encode(e, config), 1);
      const ms = probe > REJECT_FACTOR * best.ms ? probe : await time((e) => t.encode(e, config), reps);
      timings.push([config, ms]);
      lastCost = performance.now() - candidateStart;
      if (index === t.defaultIndex) this.defaultMsPerFlop = lastCost / Math.max(1, t.work.flops);
      timed++;
      if (index === t.defaultIndex) defaultMs = ms;
      if (ms < best.ms) best = { index, ms };
      options.onProgress?.({ op: t.op, bucket: t.bucket, candidate: timed, candidates: t.candidates.length });
    }
    for (const [config, ms] of timings) this.observe(t.op, config, ms / defaultMs);
    return {
      config: t.candidates[best.index] as KernelConfig,
      ms: best.ms,
      defaultMs,
      timed,
      at: new Date().toISOString(),
      tuneMs: performance.now() - started,
    };
  }
}

/** A tunable left untimed because the budget ran out: its default serves, nothing is persisted. */
function untimedResult(t: Tunable): TuneResult {
  return {
    op: t.op,
    bucket: t.bucket,
    winner: t.candidates[t.defaultIndex] as KernelConfig,
    ms: Number.NaN,
    defaultMs: Number.NaN,
    timed: 0,
    candidates: t.candidates.length,
    tuneMs: 0,
    cached: false,
    work: t.work,
  };
}

function resultOf(t: Tunable, r: TuningRecord, tuneMs: number, cached: boolean): TuneResult {
  return {
    op: t.op,
    bucket: t.bucket,
    winner: r.config,
    ms: r.ms,
    defaultMs: r.defaultMs,
    timed: r.timed,
    candidates: t.candidates.length,
    tuneMs,
    cached,
    work: t.work,
  };
}
