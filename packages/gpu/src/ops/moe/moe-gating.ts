// MoE routing on the GPU (kernels-wgsl/moe/gating.wgsl): router logits → softmax → top-k →
// weights → rows grouped by expert, so the expert matmul reads only selected experts.
import { kernelSources } from '../../kernels/sources.generated.ts';
import type { KernelContext } from '../context.ts';
import {
  type BufferArg,
  bindGroup,
  bindingOf,
  check,
  type EncodeTarget,
  withPass,
} from '../shared/dispatch.ts';
import { chooseConfig, type TuningPoint, type TuningSpace, tuningSpace } from '../shared/tuning-space.ts';
import { UniformCache } from '../shared/uniform-cache.ts';

/** The gating kernels' declared tuning space. */
export const moeGatingTuningSpace: TuningSpace = tuningSpace('moe/gating.tuning.json');

/** Largest expert count and top-k the gating kernel handles. */
export const MOE_MAX_EXPERTS = 256;
/** Largest experts-per-token. */
export const MOE_MAX_TOPK = 8;

/**
 * Arguments of `MoeGatingOp.encode`. Layouts (row-major):
 * - `router`: f32 `[rows][experts]` router logits (`ffn_gate_inp · x`);
 * - `selected`: u32 `[rows][topk]` chosen experts, most probable first (ties → lower id);
 * - `weights`: f32 `[rows][topk]` their weights;
 * - `groups`: u32, `MoeGatingOp.groupsWords(rows, experts, topk)` words: counts `[experts]`,
 *   exclusive offsets `[experts + 1]`, then the `rows·topk` assignments `row·topk + slot`
 *   ordered by expert (ascending within one expert). Feed it to `ExpertMatmulOp`.
 */
export interface MoeGatingArgs {
  /** Router logits. */
  router: BufferArg;
  /** Chosen experts (written). */
  selected: BufferArg;
  /** Expert weights (written). */
  weights: BufferArg;
  /** Grouping of assignments by expert (written). */
  groups: BufferArg;
  /** Tokens routed. */
  rows: number;
  /** Experts in the layer (GGUF `*.expert_count`). */
  experts: number;
  /** Experts per token (GGUF `*.expert_used_count`), ≤ 8. */
  topk: number;
  /**
   * Renormalise the top-k probabilities to sum to 1 (llama.cpp `norm_w`): true for mixtral-style
   * llama and qwen3moe, false for qwen2moe (whose weights stay the full-softmax probabilities).
   */
  normalize: boolean;
  /** Multiplies every weight (llama.cpp `expert_weights_scale`; default 1). */
  scale?: number;
}

/** Router softmax + top-k + weights (one dispatch) and the grouping by expert (one single-workgroup dispatch). */
export class MoeGatingOp {
  private readonly uniforms: UniformCache;

  private constructor(
    private readonly ctx: KernelContext,
    private readonly gate: GPUComputePipeline,
    private readonly group: GPUComputePipeline,
    /** The knobs compiled with. */
    readonly config: TuningPoint,
  ) {
    this.uniforms = new UniformCache(ctx.device, 'moe/gating');
  }

  /** Compiles the gating kernels (`config`: knobs WG and GROUP_WG). */
  static async prepare(ctx: KernelContext, opts: { config?: TuningPoint } = {}): Promise<MoeGatingOp> {
    const config = chooseConfig(ctx, moeGatingTuningSpace, 'any', opts.config);
    const constants = { WG: config.WG ?? 64, GROUP_WG: config.GROUP_WG ?? 128 };
    const source = kernelSources['moe/gating.wgsl'] ?? '';
    const [gate, group] = await Promise.all(
      (['gate', 'group'] as const).map((entryPoint) =>
        ctx.pipelines.get({ name: `moe/gating:${entryPoint}`, source, entryPoint, constants }),
      ),
    );
    return new MoeGatingOp(
      ctx,
      (gate as { pipeline: GPUComputePipeline }).pipeline,
      (group as { pipeline: GPUComputePipeline }).pipeline,
      config,
    );
  }

  /** u32 words of the `groups` buffer. */
  static groupsWords(rows: number, experts: number, topk: number): number {
    return 2 * experts + 1 + rows * topk;
  }

  /** Records the gate and the grouping (never submits). */
  encode(target: EncodeTarget, args: MoeGatingArgs): void {
    const { rows, experts, topk } = args;
    check(Number.isInteger(rows) && rows > 0, 'rows', `rows must be a positive integer (got ${rows}).`);
    check(
      Number.isInteger(experts) && experts >= 1 && experts <= MOE_MAX_EXPERTS,
      'experts',
      `experts must be an integer in [1, ${MOE_MAX_EXPERTS}] (got ${experts}).`,
    );
    check(
      Number.isInteger(topk) && topk >= 1 && topk <= Math.min(MOE_MAX_TOPK, experts),
      'topk',
      `topk must be an integer in [1, min(${MOE_MAX_TOPK}, experts)] (got ${topk}).`,
    );
    check(args.router.size >= rows * experts * 4, 'router', `router must hold ${rows}×${experts} f32.`);
    check(args.selected.size >= rows * topk * 4, 'selected', `selected must hold ${rows}×${topk} u32.`);
    check(args.weights.size >= rows * topk * 4, 'weights', `weights must hold ${rows}×${topk} f32.`);
    const gw = MoeGatingOp.groupsWords(rows, experts, topk);
    check(args.groups.size >= gw * 4, 'groups', `groups must hold ${gw} u32 (MoeGatingOp.groupsWords).`);
    const scale = args.scale ?? 1;
    check(Number.isFinite(scale), 'scale', 'scale must be a finite number.');
    const dims = this.uniforms.get([rows, experts, topk, args.normalize ? 1 : 0], [scale]);
    const wg = this.config.WG ?? 64;
    const groupsX = Math.ceil(rows / wg);
    const [gx, gy] = groupsX <= 65535 ? [groupsX, 1] : [65535, Math.ceil(groupsX / 65535)];
    const device = this.ctx.device;
    const gateGroup = bindGroup(device, this.gate, 'moe/gating:gate', [
      dims,
      bindingOf(args.router),
      bindingOf(args.selected),
      bindingOf(args.weights),
    ]);
    const groupGroup = device.createBindGroup({
      label: 'moe/gating:group',
      layout: this.group.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: dims } },
        { binding: 4, resource: bindingOf(args.selected) },
        { binding: 5, resource: bindingOf(args.groups) },
      ],
    });
    withPass(target, 'moe/gating', (pass) => {
      pass.setPipeline(this.gate);
      pass.setBindGroup(0, gateGroup);
      pass.dispatchWorkgroups(gx, gy);
      pass.setPipeline(this.group);
      pass.setBindGroup(0, groupGroup);
      pass.dispatchWorkgroups(1);
    });
  }
}
