// Constrained decoding on the GPU: the grammar's allowed-token bitmask applied to logits rows
// before the sampler (kernels-wgsl/sampling/token-mask.wgsl). A disallowed token's logit becomes
// −∞, so every later stage (top-k/top-p, the draw, log-probabilities, entropy, top-20) sees the
// distribution renormalised over the allowed set.
import { kernelSources } from '../../kernels/sources.generated.ts';
import type { KernelContext } from '../context.ts';
import {
  type BufferArg,
  bindGroup,
  bindingOf,
  check,
  dispatch,
  type EncodeTarget,
} from '../shared/dispatch.ts';
import { UniformCache } from '../shared/uniform-cache.ts';

const WG = 64;

/** Arguments of `TokenMaskOp.encode`. */
export interface TokenMaskArgs {
  /** `[rows][vocab]` f32 logits, masked in place. */
  logits: BufferArg;
  /** `[rows][ceil(vocab / 32)]` u32 words: bit `t % 32` of word `t / 32` set = token t allowed. */
  mask: BufferArg;
  /** Logits rows. */
  rows: number;
  /** Logits per row. */
  vocab: number;
}

/** Words of one row's packed token mask. */
export function tokenMaskWords(vocab: number): number {
  return Math.ceil(vocab / 32);
}

/** Sets the logits of disallowed tokens to −∞ (one dispatch; all-ones words cost one read). */
export class TokenMaskOp {
  private readonly uniforms: UniformCache;

  private constructor(
    private readonly ctx: KernelContext,
    private readonly pipeline: GPUComputePipeline,
  ) {
    this.uniforms = new UniformCache(ctx.device, 'sampling/token-mask');
  }

  /** Compiles the kernel. */
  static async prepare(ctx: KernelContext): Promise<TokenMaskOp> {
    const { pipeline } = await ctx.pipelines.get({
      name: 'sampling/token-mask',
      source: kernelSources['sampling/token-mask.wgsl'] ?? '',
      defines: {},
      constants: { WG },
    });
    return new TokenMaskOp(ctx, pipeline);
  }

  /** Records the masking of `rows` logits rows. */
  encode(target: EncodeTarget, args: TokenMaskArgs): void {
    check(
      args.rows > 0 && Number.isInteger(args.rows),
      'rows',
      `rows must be a positive integer (got ${args.rows}).`,
    );
    check(
      args.vocab > 0 && Number.isInteger(args.vocab),
      'vocab',
      `vocab must be a positive integer (got ${args.vocab}).`,
    );
    const words = tokenMaskWords(args.vocab);
    const maxRows = this.ctx.limits.maxComputeWorkgroupsPerDimension ?? 65535;
    check(args.rows <= maxRows, 'rows', `At most ${maxRows} rows per dispatch (got ${args.rows}).`);
    const params = this.uniforms.get([args.rows, args.vocab, words, 0]); // zero: see the kernel
    const group = bindGroup(this.ctx.device, this.pipeline, 'sampling/token-mask', [
      params,
      bindingOf(args.logits),
      bindingOf(args.mask),
    ]);
    dispatch(target, 'sampling/token-mask', this.pipeline, group, Math.ceil(words / WG), args.rows);
  }

  /** Frees the op's uniform buffers. */
  destroy(): void {
    this.uniforms.destroy();
  }
}
