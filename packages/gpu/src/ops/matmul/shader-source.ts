// Builds a matmul kernel's WGSL for one weight type: the enable/diagnostic header a variant
// needs, then quant/common.wgsl, the type's dequantisation snippet, and the kernel body.
import { RuminateError } from '../../errors.ts';
import { kernelSources } from '../../kernels/sources.generated.ts';
import type { GgmlTypeName } from '../../quant/ggml-types.ts';
import type { KernelConfig } from '../context.ts';

/** Weight types the matmul kernels dequantize in-kernel. */
export const MATMUL_DTYPES = [
  'f32',
  'f16',
  'bf16',
  'q8_0',
  'q4_0',
  'q4_1',
  'q5_0',
  'q4_k',
  'q5_k',
  'q6_k',
] as const;

/** A weight type the matmul kernels read. */
export type MatmulDtype = (typeof MATMUL_DTYPES)[number];

/** True when the matmul kernels read weights of this type. */
export function isMatmulDtype(dtype: GgmlTypeName): dtype is MatmulDtype {
  return (MATMUL_DTYPES as readonly string[]).includes(dtype);
}

function source(path: string): string {
  const text = kernelSources[path];
  if (text === undefined) {
    throw new RuminateError('internal', `Kernel source ${path} is missing: run pnpm run gen:wgsl.`);
  }
  return text;
}

/**
 * The dequantisation snippet for `dtype` (quant/common.wgsl + quant/<dtype>.wgsl): defines
 * `struct Octet` and `fn w_octet(row_byte: u32, kk: u32) -> Octet` over a `wq: array<u32>`
 * binding that the including kernel declares. Other kernels (embedding lookup, MoE expert
 * matmul) concatenate it in front of their own source the same way.
 */
export function dequantSnippet(dtype: GgmlTypeName): string {
  if (!isMatmulDtype(dtype)) {
    throw new RuminateError(
      'gguf-unsupported',
      `Weights of type ${dtype} cannot be computed with; requantize the model to one of ${MATMUL_DTYPES.join(', ')}.`,
      { field: 'dtype' },
    );
  }
  return `${source('quant/common.wgsl')}\n${source(`quant/${dtype}.wgsl`)}`;
}

/**
 * `dequantSnippet` plus the whole-block reads (`BLOCK_OCTETS`, `WBlock`, `w_block`,
 * `w_block_octet`): the type's own where it has them, else one-octet blocks
 * (quant/octet-block.wgsl).
 */
export function blockDequantSnippet(dtype: GgmlTypeName): string {
  const snippet = dequantSnippet(dtype);
  return /\bfn w_block\(/.test(snippet) ? snippet : `${snippet}\n${source('quant/octet-block.wgsl')}`;
}

/** Global directives a variant needs (`enable f16;`, `enable subgroups;`), which must precede all declarations. */
export function variantHeader(defines: KernelConfig['defines']): string {
  const lines: string[] = [];
  if (defines?.F16) lines.push('enable f16;');
  if (defines?.SUBGROUPS) lines.push('enable subgroups;', 'diagnostic(off, subgroup_uniformity);');
  return lines.join('\n');
}

/**
 * `blockDequantSnippet` plus `XBlock`, `x_block` and `w_block_dot` (quant/block-dot/): the
 * type's own block dot over 32-value activation blocks where it has one, else the generic one.
 */
export function blockDotSnippet(dtype: GgmlTypeName): string {
  const own = kernelSources[`quant/block-dot/${dtype}.wgsl`];
  const dot = own
    ? `${source('quant/block-dot/x-block32.wgsl')}\n${own}`
    : source('quant/block-dot/generic.wgsl');
  return `${blockDequantSnippet(dtype)}\n${dot}`;
}

/** The matmul kernel sources (kernels-wgsl/matmul/<name>.wgsl). */
export type MatmulSourceName = 'gemv' | 'gemv-rows' | 'gemv-swar-q4_0' | 'gemm' | 'gemm-rows';

/**
 * Which source runs a configuration for GEMV tile `mTile`: ROWS candidates run the CPU-shaped
 * `gemv-rows` (one activation row; `gemv-swar-q4_0` for q4_0 weights when activations are rounded
 * to 8 bits, `q8`) or `gemm-rows` (GEMM, and GEMV batch tiles), GEMM's REGS candidates run `gemv`
 * over row blocks, the rest their kernel's own.
 */
export function matmulSourceName(
  kernel: 'gemv' | 'gemm',
  config: KernelConfig,
  mTile = 1,
  q8 = false,
): MatmulSourceName {
  if (config.defines?.ROWS) {
    if (kernel !== 'gemv' || mTile !== 1) return 'gemm-rows';
    return q8 ? 'gemv-swar-q4_0' : 'gemv-rows';
  }
  return kernel === 'gemv' || config.defines?.REGS ? 'gemv' : 'gemm';
}

/**
 * Activation rows one dispatch block of a GEMV-style source covers (the grid holds
 * ⌈m / rows⌉ blocks): the GEMV tile, GEMM candidates' M_TILE, and at least 4 in gemm-rows.
 */
export function matmulRowBlock(kernel: 'gemv' | 'gemm', config: KernelConfig, mTile: number): number {
  const tile = kernel === 'gemv' ? mTile : (config.constants.M_TILE ?? 16);
  return matmulSourceName(kernel, config, mTile) === 'gemm-rows' ? Math.max(4, tile) : tile;
}

/** Full WGSL (before preprocessing) of matmul source `name` for weights of `dtype`. */
export function matmulSource(
  name: MatmulSourceName,
  dtype: GgmlTypeName,
  defines: KernelConfig['defines'],
  constants: KernelConfig['constants'] = {},
): string {
  const bindings = source('matmul/bindings.wgsl');
  const body = source(`matmul/${name}.wgsl`);
  const rowGroups = source('matmul/row-groups.wgsl');
  switch (name) {
    case 'gemm':
      return `${variantHeader(defines)}\n${dequantSnippet(dtype)}\n${bindings}\n${body}`;
    case 'gemv-rows':
      return `${blockDotSnippet(dtype)}\n${bindings}\n${rowGroups}\n${body}`;
    case 'gemv-swar-q4_0':
      return `${bindings}\n${rowGroups}\n${source('matmul/q8-pairs-record.wgsl')}\n${body}`;
    case 'gemm-rows':
      return `${blockDequantSnippet(dtype)}\n${bindings}\n${rowGroups}\n${body}`;
    case 'gemv': {
      // Private array lengths of matmul/gemv.wgsl, fixed per compiled variant (WGSL sizes
      // function-scope arrays with const expressions only, not overrides).
      const mTile = constants.M_TILE ?? 1;
      const sizes = `const X_LEN: u32 = ${mTile}u;\nconst ACC_LEN: u32 = ${mTile * (constants.RPT ?? 1)}u;`;
      return `${variantHeader(defines)}\n${sizes}\n${blockDequantSnippet(dtype)}\n${bindings}\n${body}`;
    }
  }
}

/** WGSL of the pass that rounds activations to 8 bits per block of 32 (matmul/x-q8.wgsl). */
export function xQ8Source(): string {
  return `${source('quant/q8-activations.wgsl')}\n${source('matmul/x-q8.wgsl')}`;
}

/** WGSL of the pass that rounds activations and packs them as gemv-swar-q4_0.wgsl's pairs (matmul/x-q8-pairs.wgsl). */
export function xQ8PairsSource(): string {
  return `${source('quant/q8-activations.wgsl')}\n${source('matmul/q8-pairs-record.wgsl')}\n${source('matmul/x-q8-pairs.wgsl')}`;
}

/** Words of one activation record, a pair of 32-value blocks (RECORD_WORDS in matmul/q8-pairs-record.wgsl). */
const Q8_PAIR_RECORD_WORDS = 68;

/** Words gemv-swar-q4_0.wgsl's activation records take for `m` rows of `k` values (x-q8-pairs.wgsl). */
export function xQ8PairsWords(m: number, k: number): number {
  return m * Math.ceil(k / 64) * Q8_PAIR_RECORD_WORDS;
}

/** WGSL of the split-K partial-sum reduction. */
export function splitKReduceSource(): string {
  return source('matmul/splitk-reduce.wgsl');
}
