// Independent samples from the prompt, decoded in waves no wider than the planner's batch width
// (each wave is one batched decode: all its sequences share the prompt's KV pages).

import type { Branch } from '../generator/branch.ts';
import type { ExtendUntil } from '../generator/types.ts';
import type { StrategyContext } from './types.ts';

/** Draws `count` complete samples from the prompt (fewer when the run's budget is spent before a wave). */
export async function sampleWaves(
  ctx: StrategyContext,
  count: number,
  until: ExtendUntil = {},
): Promise<Branch[]> {
  const out: Branch[] = [];
  const width = Math.max(1, ctx.batchWidth);
  for (let done = 0; done < count; done += width) {
    if (done > 0 && ctx.gen.budgetSpent() !== undefined) break;
    const wave = await ctx.gen.fork(ctx.root, Math.min(width, count - done));
    out.push(...wave);
    await ctx.gen.extend(wave, until);
  }
  return out;
}
