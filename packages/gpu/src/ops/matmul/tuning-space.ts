// The matmul kernels' tuning spaces (kernels-wgsl/matmul/{gemv,gemm}.tuning.json, loaded by the
// one tuning-space loader) as candidates with names and kernel configurations, and the rules
// that decide whether a candidate can run on a device.
import { RuminateError } from '../../errors.ts';
import type { KernelConfig, KernelContext } from '../context.ts';
import { candidateIndex, kernelConfigOf, type TuningSpace, tuningSpace } from '../shared/tuning-space.ts';

/** The two matmul kernels: GEMV for decode (m ≤ 16), tiled GEMM for prefill. */
export type MatmulKernelName = 'gemv' | 'gemm';

/** One declared candidate: its id (for reports), configuration, and whether it is the shipped default. */
export interface MatmulCandidate {
  /** Stable name, e.g. `wg64-tpr16-rpt2-u1`. */
  id: string;
  /** Override constants and defines. */
  config: KernelConfig;
  /** True for the one configuration shipped for devices with no tuning cache. */
  isDefault: boolean;
  /** True for what CPU adapters get instead (the first such candidate that can run the shape). */
  isCpuDefault: boolean;
}

function candidatesOf(space: TuningSpace): readonly MatmulCandidate[] {
  const gpu = candidateIndex(space, space.default);
  const cpu = new Set(space.cpuDefaults.map((p) => candidateIndex(space, p)));
  return space.candidates.map((point, i) => ({
    id: space.ids[i] as string,
    config: kernelConfigOf(space, point),
    isDefault: i === gpu,
    isCpuDefault: cpu.has(i),
  }));
}

const spaces: Record<MatmulKernelName, readonly MatmulCandidate[]> = {
  gemv: candidatesOf(tuningSpace('matmul/gemv.tuning.json')),
  gemm: candidatesOf(tuningSpace('matmul/gemm.tuning.json')),
};

/** Every declared candidate of a matmul kernel (device-independent; see `usableCandidates`). */
export function matmulCandidates(kernel: MatmulKernelName): readonly MatmulCandidate[] {
  return spaces[kernel];
}

/** Device facts a candidate is checked against. */
type DeviceFacts = Pick<KernelContext, 'features' | 'limits' | 'cpuAdapter'>;

/**
 * The shipped default of a matmul kernel: on a CPU adapter the first `cpuDefault` candidate
 * that can run an `mTile`-row GEMV tile there (whole rows per invocation, no barriers), else the
 * one marked `default` (GPU-shaped).
 */
export function matmulDefault(kernel: MatmulKernelName, ctx?: DeviceFacts, mTile = 16): MatmulCandidate {
  if (ctx?.cpuAdapter) {
    const cpu = spaces[kernel].find(
      (c) => c.isCpuDefault && matmulConfigProblem(ctx, kernel, c.config, mTile) === undefined,
    );
    if (cpu) return cpu;
  }
  return spaces[kernel].find((c) => c.isDefault) as MatmulCandidate;
}

const limit = (ctx: DeviceFacts, name: string, fallback: number) => ctx.limits[name] ?? fallback;
const isPow2 = (v: number) => Number.isInteger(v) && v > 0 && (v & (v - 1)) === 0;

/**
 * Why `config` cannot run as `kernel` on this device (missing feature, limit exceeded,
 * inconsistent knobs), or undefined when it can. `mTile` is the GEMV activation-row tile.
 * GEMM candidates with the REGS define run the GEMV source over ⌈m / M_TILE⌉ row blocks
 * (register tiles, no workgroup memory) and take GEMV knobs plus M_TILE.
 */
export function matmulConfigProblem(
  ctx: DeviceFacts,
  kernel: MatmulKernelName,
  config: KernelConfig,
  mTile = 16,
): string | undefined {
  const c = config.constants;
  const split = c.SPLIT_K ?? 1;
  if (!(Number.isInteger(split) && split >= 1 && split <= 64)) return `SPLIT_K ${split} must be 1..64`;
  if (kernel === 'gemv') {
    if (config.defines?.REGS) return 'REGS is a GEMM variant';
    return gemvProblem(ctx, config, mTile, false);
  }
  if (config.defines?.ROWS) {
    const { WG = 0, TPR = 0, RPT = 0, UNROLL = 0, M_TILE = 0 } = config.constants;
    for (const name of Object.keys(config.constants)) {
      if (!['WG', 'TPR', 'RPT', 'UNROLL', 'SPLIT_K', 'M_TILE'].includes(name))
        return `unknown GEMM knob ${name}`;
    }
    if (![4, 8, 16].includes(M_TILE)) return `GEMM ROWS needs M_TILE 4, 8 or 16 (got ${M_TILE})`;
    const others = Object.entries(config.defines).some(([name, on]) => on && name !== 'ROWS');
    if (TPR !== 1 || ![4, 8].includes(RPT) || UNROLL !== 1 || split !== 1 || others) {
      return 'GEMM ROWS needs TPR 1, RPT 4 or 8, UNROLL 1, SPLIT_K 1 and no other define';
    }
    const max = maxWorkgroup(ctx);
    return isPow2(WG) && WG <= max ? undefined : `WG ${WG} must be a power of two ≤ ${max}`;
  }
  if (config.defines?.REGS) {
    const tile = c.M_TILE ?? 0;
    if (![4, 8, 16].includes(tile)) return `REGS needs M_TILE 4, 8 or 16 (got ${tile})`;
    return gemvProblem(ctx, config, tile, true);
  }
  return gemmProblem(ctx, config);
}

function gemvProblem(
  ctx: DeviceFacts,
  config: KernelConfig,
  mTile: number,
  withMTile: boolean,
): string | undefined {
  const c = config.constants;
  const d = config.defines ?? {};
  const { WG = 0, TPR = 0, RPT = 0, UNROLL = 0 } = c;
  const known = ['WG', 'TPR', 'RPT', 'UNROLL', 'SPLIT_K', ...(withMTile ? ['M_TILE'] : [])];
  for (const name of Object.keys(c)) if (!known.includes(name)) return `unknown GEMV knob ${name}`;
  const maxInvocations = maxWorkgroup(ctx);
  if (!isPow2(WG) || WG > maxInvocations) return `WG ${WG} must be a power of two ≤ ${maxInvocations}`;
  if (!isPow2(TPR) || WG % TPR !== 0) return `TPR ${TPR} must be a power of two dividing WG`;
  if (d.ROWS) {
    // One activation row runs gemv-rows (4, 8 or 16 weight rows per invocation); batch tiles run
    // gemm-rows, whose register tile holds 4 or 8 weight rows.
    if (withMTile) return 'REGS and ROWS exclude each other';
    if (!(mTile === 1 ? [4, 8, 16] : [4, 8]).includes(RPT)) {
      return `ROWS needs RPT 4, 8${mTile === 1 ? ' or 16' : ' for batch tiles'} (got ${RPT})`;
    }
    if (TPR !== 1 || UNROLL !== 1 || (c.SPLIT_K ?? 1) !== 1 || d.SUBGROUPS || d.F16) {
      return 'ROWS needs TPR 1, UNROLL 1, SPLIT_K 1 and no other define';
    }
    return undefined;
  }
  if (![1, 2, 4].includes(RPT)) return `RPT ${RPT} must be 1, 2 or 4`;
  if (!(UNROLL >= 1 && UNROLL <= 8 && Number.isInteger(UNROLL))) return `UNROLL ${UNROLL} must be 1..8`;
  if (mTile * RPT > 64) return `M_TILE·RPT ${mTile * RPT} exceeds 64 accumulators`;
  if (d.SUBGROUPS && !ctx.features.has('subgroups')) return 'SUBGROUPS needs the subgroups feature';
  if (d.F16 && !ctx.features.has('shader-f16')) return 'F16 needs the shader-f16 feature';
  if (d.VEC4) return 'GEMV has no VEC4 variant (UNROLL sets its vector width)';
  const storage = limit(ctx, 'maxComputeWorkgroupStorageSize', 16384);
  if (TPR > 1 && WG * 4 > storage) return `reduction needs ${WG * 4} bytes of workgroup storage`;
  return undefined;
}

function gemmProblem(ctx: DeviceFacts, config: KernelConfig): string | undefined {
  const c = config.constants;
  const d = config.defines ?? {};
  const { TM = 0, TN = 0, TK = 0, TMT = 0, TNT = 0 } = c;
  for (const name of Object.keys(c)) {
    if (!['TM', 'TN', 'TK', 'TMT', 'TNT', 'SPLIT_K'].includes(name)) return `unknown GEMM knob ${name}`;
  }
  if (!(TMT >= 1 && TMT <= 8 && TNT >= 1 && TNT <= 8)) return `micro-tile ${TMT}×${TNT} must be ≤ 8×8`;
  if (TM % TMT !== 0 || TN % TNT !== 0) return `tile ${TM}×${TN} must be a multiple of the micro-tile`;
  if (!(TK >= 8 && TK % 8 === 0)) return `TK ${TK} must be a positive multiple of 8`;
  const wg = (TM / TMT) * (TN / TNT);
  const maxInvocations = maxWorkgroup(ctx);
  if (wg > maxInvocations) return `${wg} invocations exceed ${maxInvocations}`;
  if (d.F16 && !ctx.features.has('shader-f16')) return 'F16 needs the shader-f16 feature';
  if (d.SUBGROUPS) return 'GEMM has no SUBGROUPS variant';
  if (d.VEC4 && !([4, 8].includes(TMT) && [4, 8].includes(TNT))) return `VEC4 needs TMT, TNT ∈ {4, 8}`;
  const storage = limit(ctx, 'maxComputeWorkgroupStorageSize', 16384);
  const bytes = (TM + TN) * TK * (d.F16 ? 2 : 4);
  if (bytes > storage) return `tiles need ${bytes} bytes of workgroup storage, device allows ${storage}`;
  return undefined;
}

const maxWorkgroup = (ctx: DeviceFacts) =>
  Math.min(limit(ctx, 'maxComputeInvocationsPerWorkgroup', 256), limit(ctx, 'maxComputeWorkgroupSizeX', 256));

/** The candidates of `kernel` that run on this device, with the default's index among them. */
export function usableCandidates(
  ctx: DeviceFacts,
  kernel: MatmulKernelName,
  mTile = 16,
): { candidates: MatmulCandidate[]; defaultIndex: number } {
  const candidates = matmulCandidates(kernel).filter(
    (c) => matmulConfigProblem(ctx, kernel, c.config, mTile) === undefined,
  );
  const shipped = matmulDefault(kernel, ctx, mTile);
  const defaultIndex = candidates.indexOf(shipped);
  if (defaultIndex < 0) {
    throw new RuminateError(
      'limit-too-low',
      `The default ${kernel} configuration does not fit this device's limits; it needs 16 KiB of workgroup storage and 256 invocations.`,
    );
  }
  return { candidates, defaultIndex };
}
