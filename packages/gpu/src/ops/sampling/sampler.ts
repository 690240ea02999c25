// On-GPU sampling over logits [rows][vocab] (kernels-wgsl/sampling/sampler.wgsl): per-row
// penalties, bans, top-k / top-p / min-p, temperature, a Philox stream per (seed, sequence,
// position), teacher forcing, and the raw distribution's log-probability, entropy,
// self-certainty term and top-20, written to one small buffer (192 bytes a row) so the
// vocabulary is never read back.
//
// Candidate cap (why top-p is not an exact threshold search): every filter works on the
// `candidates` (≤ 256) most likely penalised tokens, found by per-chunk bitonic sorts and
// sorted merges. Top-k ≤ candidates is exact. Top-p is exact whenever its nucleus has at most
// `candidates` tokens; a broader nucleus is cut to the top `candidates` (for LLM distributions
// at p ≤ 0.95 the nucleus is almost always far smaller; an exact search would cost several
// more passes over the vocabulary every step). Min-p and plain temperature sampling are exact:
// when their kept set may exceed the candidates, a Gumbel-max sweep covers the whole
// vocabulary above the threshold. The CPU reference (sampler-reference.ts) applies the same cap.
import { RuminateError } from '../../errors.ts';
import { kernelSources } from '../../kernels/sources.generated.ts';
import type { KernelContext } from '../context.ts';
import { type BufferArg, bindingOf, check, type EncodeTarget, withPass } from '../shared/dispatch.ts';
import { chooseConfig, type TuningPoint, type TuningSpace, tuningSpace } from '../shared/tuning-space.ts';
import { UniformCache } from '../shared/uniform-cache.ts';
import { SAMPLER_MAX_CANDIDATES, SAMPLER_OUT_WORDS, SAMPLER_PARAM_WORDS } from './sampler-params.ts';

/** The sampler's declared tuning space. */
export const samplerTuningSpace: TuningSpace = tuningSpace('sampling/sampler.tuning.json');

const RAW_K = 32;
const STATS_WORDS = 8;
const STATE_WORDS = 8;

/**
 * Arguments of `SamplerOp.encode`.
 * - `logits`: f32 `[rows][vocab]`, row-major, offset aligned to 256 bytes; finite values or −inf
 *   (a masked token: probability 0, never drawn; left out of self-certainty's sum of logits,
 *   which is still divided by `vocab`: the runtime rescales it to the allowed count).
 *   +inf and NaN are not supported.
 * - `params`: u32 words from `packSamplerParams(rowParams, vocab, candidates)` (layout documented there).
 * - `out`: `rows × 192` bytes, written completely (layout: `decodeSamplerOutput`).
 */
export interface SamplerArgs {
  /** Logits `[rows][vocab]` f32. */
  logits: BufferArg;
  /** Packed per-row parameters and token lists. */
  params: BufferArg;
  /** Per-row results, 48 words a row. */
  out: BufferArg;
  /** Rows (sequences) in the batch. */
  rows: number;
  /** Vocabulary size. */
  vocab: number;
  /**
   * Candidate cap: 32, 64, 128 or 256 (default 256), ≥ every row's topK, ≤ SORT_N / 2; smaller
   * is faster. 1 is the fast path for batches of greedy, forced, temperature-only and min-p rows
   * (no sort, no merges; exact draws; no top log-probabilities: `top` comes back empty).
   */
  candidates?: number;
}

interface Plan {
  chunks: number;
  dims: GPUBuffer;
  stats: GPUBuffer;
  state: GPUBuffer;
  sweep: GPUBuffer;
  adj: ChainPlan;
  raw: ChainPlan;
}

/** Candidate lists of one chain (penalised or raw) and the merge levels that reduce them to one per row. */
interface ChainPlan {
  level0: GPUBuffer;
  levels: { dims: GPUBuffer; src: GPUBuffer; dst: GPUBuffer; listsOut: number }[];
  final: GPUBuffer;
}

/** The sampler's entry points (kernels-wgsl/sampling/sampler.wgsl). */
type SamplerEntry = 'chunk' | 'chunk_best' | 'merge' | 'select_row' | 'sweep' | 'finish';

/** The entry points every candidate cap runs; `chunk` and `merge` (the sorts) only caps above 1. */
const BASE_ENTRIES = ['chunk_best', 'select_row', 'sweep', 'finish'] as const;
const SORT_ENTRIES = ['chunk', 'merge'] as const;

/** The knobs a configuration sets, with the kernel's own defaults for those it leaves out. */
function knobs(config: TuningPoint): { WG: number; SORT_N: number } {
  return { WG: config.WG ?? 256, SORT_N: config.SORT_N ?? 1024 };
}

/** The on-GPU sampler: 5 kernels plus log(chunks) merge dispatches, recorded into one compute pass. */
export class SamplerOp {
  private readonly uniforms: UniformCache;
  private readonly plans = new Map<string, Plan>();
  private sorts: Promise<void> | undefined;

  private constructor(
    private readonly ctx: KernelContext,
    private readonly pipes: Partial<Record<SamplerEntry, GPUComputePipeline>>,
    /** The knobs compiled with. */
    readonly config: TuningPoint,
  ) {
    this.uniforms = new UniformCache(ctx.device, 'sampling/sampler');
  }

  /**
   * Compiles the sampler's kernels (`config`: knobs WG and SORT_N, see the tuning JSON; else the
   * tuner's winner for `bucket` — `samplerShapeBucket(rows, vocab)` — else the shipped default).
   * `sorts: 'later'` leaves out the sorting kernels that only candidate caps above 1 use (top-k,
   * top-p, log-probabilities), a third of the compile time: `ready(candidates)` compiles them.
   */
  static async prepare(
    ctx: KernelContext,
    opts: { config?: TuningPoint; bucket?: string; sorts?: 'now' | 'later' } = {},
  ): Promise<SamplerOp> {
    const config = chooseConfig(ctx, samplerTuningSpace, opts.bucket ?? 'any', opts.config);
    const { WG: wg, SORT_N: sortN } = knobs(config);
    const pow2 = (v: number) => v > 0 && (v & (v - 1)) === 0;
    check(
      pow2(wg) && pow2(sortN) && wg * 3 <= sortN,
      'config',
      `WG and SORT_N must be powers of two with 3·WG ≤ SORT_N (got ${wg}, ${sortN}).`,
    );
    check(sortN >= 2 * RAW_K * 2, 'config.SORT_N', `SORT_N must be at least ${4 * RAW_K} (got ${sortN}).`);
    const op = new SamplerOp(ctx, {}, config);
    await op.compile(BASE_ENTRIES);
    if (opts.sorts !== 'later') await op.ready(SAMPLER_MAX_CANDIDATES);
    return op;
  }

  /** Resolves once `encode` can run with this candidate cap (compiling the sorts on first need). */
  ready(candidates: number): Promise<void> {
    if (candidates <= 1) return Promise.resolve();
    this.sorts ??= this.compile(SORT_ENTRIES);
    return this.sorts;
  }

  private async compile(entries: readonly SamplerEntry[]): Promise<void> {
    const source = `${kernelSources['sampling/common.wgsl'] ?? ''}\n${kernelSources['sampling/sampler.wgsl'] ?? ''}`;
    const constants = knobs(this.config);
    const compiled = await Promise.all(
      entries.map((entryPoint) =>
        this.ctx.pipelines.get({ name: `sampling/sampler:${entryPoint}`, source, entryPoint, constants }),
      ),
    );
    entries.forEach((e, i) => {
      this.pipes[e] = (compiled[i] as { pipeline: GPUComputePipeline }).pipeline;
    });
  }

  /** Bytes `out` must hold for `rows` rows. */
  static outputBytes(rows: number): number {
    return rows * SAMPLER_OUT_WORDS * 4;
  }

  /** Records the sampler's dispatches (never submits). */
  encode(target: EncodeTarget, args: SamplerArgs): void {
    const { rows, vocab } = args;
    const kc = args.candidates ?? SAMPLER_MAX_CANDIDATES;
    const sortN = knobs(this.config).SORT_N;
    check(
      Number.isInteger(rows) && rows > 0 && rows <= 65535,
      'rows',
      `rows must be an integer in [1, 65535] (got ${rows}).`,
    );
    check(Number.isInteger(vocab) && vocab > 0, 'vocab', `vocab must be a positive integer (got ${vocab}).`);
    check(
      [1, 32, 64, 128, 256].includes(kc) && 2 * kc <= sortN,
      'candidates',
      `candidates must be 1, 32, 64, 128 or 256 and at most SORT_N / 2 = ${sortN / 2} (got ${kc}).`,
    );
    check(
      args.logits.size >= rows * vocab * 4,
      'logits',
      `logits hold ${args.logits.size} bytes; ${rows}×${vocab} f32 need ${rows * vocab * 4}.`,
    );
    check(
      args.params.size >= rows * SAMPLER_PARAM_WORDS * 4,
      'params',
      `params must come from packSamplerParams for ${rows} rows.`,
    );
    check(
      args.out.size >= SamplerOp.outputBytes(rows),
      'out',
      `out holds ${args.out.size} bytes; ${rows} rows need ${SamplerOp.outputBytes(rows)}.`,
    );
    const need = (e: SamplerEntry): GPUComputePipeline => {
      const pipe = this.pipes[e];
      if (!pipe) {
        throw new RuminateError(
          'invalid-argument',
          `The sampler's sorting kernels are not compiled yet: await sampler.ready(${kc}) before encoding with ${kc} candidates.`,
          { field: 'candidates' },
        );
      }
      return pipe;
    };
    const p = {
      chunk_best: need('chunk_best'),
      select_row: need('select_row'),
      sweep: need('sweep'),
      finish: need('finish'),
    };
    // The sorts: per-chunk candidate lists and their merges (a cap of 1 scans chunk bests instead).
    const sorts = kc === 1 ? undefined : { chunk: need('chunk'), merge: need('merge') };
    const plan = this.plan(rows, vocab, kc, sortN);
    const device = this.ctx.device;
    const logits = bindingOf(args.logits);
    const params = bindingOf(args.params);
    const out = bindingOf(args.out);
    const group = (
      pipe: GPUComputePipeline,
      label: string,
      entries: [number, GPUBufferBinding | GPUBuffer][],
    ) =>
      device.createBindGroup({
        label,
        layout: pipe.getBindGroupLayout(0),
        entries: entries.map(([binding, r]) => ({ binding, resource: 'buffer' in r ? r : { buffer: r } })),
      });
    withPass(target, 'sampling/sampler', (pass) => {
      if (!sorts) {
        pass.setPipeline(p.chunk_best);
        pass.setBindGroup(
          0,
          group(p.chunk_best, 'sampler:chunk_best', [
            [0, plan.dims],
            [1, logits],
            [2, params],
            [3, plan.stats],
            [4, plan.adj.level0],
          ]),
        );
      } else {
        pass.setPipeline(sorts.chunk);
        pass.setBindGroup(
          0,
          group(sorts.chunk, 'sampler:chunk', [
            [0, plan.dims],
            [1, logits],
            [2, params],
            [3, plan.stats],
            [4, plan.adj.level0],
            [5, plan.raw.level0],
          ]),
        );
      }
      pass.dispatchWorkgroups(plan.chunks, rows);
      if (sorts) {
        pass.setPipeline(sorts.merge);
        for (const level of [...plan.adj.levels, ...plan.raw.levels]) {
          pass.setBindGroup(
            0,
            group(sorts.merge, 'sampler:merge', [
              [0, level.dims],
              [6, level.src],
              [7, level.dst],
            ]),
          );
          pass.dispatchWorkgroups(level.listsOut, rows);
        }
      }
      pass.setPipeline(p.select_row);
      pass.setBindGroup(
        0,
        group(p.select_row, 'sampler:select', [
          [0, plan.dims],
          [2, params],
          [3, plan.stats],
          [8, plan.adj.final],
          [9, plan.raw.final],
          [10, out],
          [11, plan.state],
        ]),
      );
      pass.dispatchWorkgroups(rows);
      pass.setPipeline(p.sweep);
      pass.setBindGroup(
        0,
        group(p.sweep, 'sampler:sweep', [
          [0, plan.dims],
          [1, logits],
          [2, params],
          [11, plan.state],
          [12, plan.sweep],
        ]),
      );
      pass.dispatchWorkgroups(plan.chunks, rows);
      pass.setPipeline(p.finish);
      pass.setBindGroup(
        0,
        group(p.finish, 'sampler:finish', [
          [0, plan.dims],
          [1, logits],
          [10, out],
          [11, plan.state],
          [12, plan.sweep],
        ]),
      );
      pass.dispatchWorkgroups(rows);
    });
  }

  /** Scratch buffers and per-dispatch uniforms for one (rows, vocab, candidates), kept for reuse. */
  private plan(rows: number, vocab: number, kc: number, sortN: number): Plan {
    const key = `${rows}x${vocab}x${kc}`;
    const hit = this.plans.get(key);
    if (hit) return hit;
    const device = this.ctx.device;
    const chunks = Math.ceil(vocab / sortN);
    const scratch = (label: string, bytes: number) =>
      device.createBuffer({
        label: `sampler:${label}`,
        size: Math.max(16, bytes),
        usage: GPUBufferUsage.STORAGE,
      });
    const dimsOf = (listsIn: number, listsOut: number, k: number) =>
      this.uniforms.get([rows, vocab, chunks, kc, listsIn, listsOut, k, 0]);
    const chain = (label: string, k: number): ChainPlan => {
      const level0 = scratch(`${label}0`, rows * chunks * k * 8);
      if (kc === 1) return { level0, levels: [], final: level0 }; // chunk_best: select scans the chunks
      const fan = sortN / k;
      const levels: ChainPlan['levels'] = [];
      let lists = chunks;
      let src = level0;
      let other: GPUBuffer | undefined;
      while (lists > 1) {
        const listsOut = Math.ceil(lists / fan);
        other ??= scratch(`${label}1`, rows * Math.ceil(chunks / fan) * k * 8);
        const dst = src === level0 ? other : level0;
        levels.push({ dims: dimsOf(lists, listsOut, k), src, dst, listsOut });
        src = dst;
        lists = listsOut;
      }
      return { level0, levels, final: src };
    };
    const plan: Plan = {
      chunks,
      dims: dimsOf(0, 0, 0),
      stats: scratch('stats', rows * chunks * STATS_WORDS * 4),
      state: scratch('state', rows * STATE_WORDS * 4),
      sweep: scratch('sweep', rows * chunks * 8),
      adj: chain('adj', kc),
      raw: chain('raw', kc === 1 ? 0 : RAW_K),
    };
    if (this.plans.size >= 16) {
      const oldest = this.plans.keys().next().value;
      if (oldest !== undefined) this.plans.delete(oldest);
    }
    this.plans.set(key, plan);
    return plan;
  }
}
