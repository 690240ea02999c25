// Decode throughput as a function of the number of parallel sequences: interpolated between the
// measured widths, its knee, and an estimate from the device profile when nothing was measured.
// Decode is bandwidth-bound (every step reads all weights), so total tokens/s grows with the
// batch until compute saturates (ARCHITECTURE.md, "Budget").

import type { DecodeSpeed, DeviceProfileLike } from './types.ts';

/** Aggregate tokens/s at `width` sequences: piecewise linear in log2(width), flat past the last point. */
export function throughputAt(speed: DecodeSpeed, width: number): number {
  const pts = [...speed.points].sort((a, b) => a.width - b.width);
  const first = pts[0];
  if (!first) return 0;
  if (width <= first.width) return (first.tokensPerSecond * width) / first.width;
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1] as (typeof pts)[number];
    const b = pts[i] as (typeof pts)[number];
    if (width <= b.width) {
      const t = (Math.log2(width) - Math.log2(a.width)) / (Math.log2(b.width) - Math.log2(a.width));
      return a.tokensPerSecond + t * (b.tokensPerSecond - a.tokensPerSecond);
    }
  }
  return (pts[pts.length - 1] as (typeof pts)[number]).tokensPerSecond;
}

/**
 * The knee: the smallest measured width after which quadrupling-ish the batch (the next measured
 * point) raises throughput by less than `minGain` (default 1.3×); the largest width if it never stalls.
 */
export function kneeWidth(speed: DecodeSpeed, minGain = 1.3): number {
  const pts = [...speed.points].sort((a, b) => a.width - b.width);
  for (let i = 0; i + 1 < pts.length; i++) {
    const a = pts[i] as (typeof pts)[number];
    const b = pts[i + 1] as (typeof pts)[number];
    if (b.tokensPerSecond < a.tokensPerSecond * minGain) return a.width;
  }
  return pts[pts.length - 1]?.width ?? 1;
}

/**
 * Speed estimated from the device profile: a step at width b reads every weight once
 * (weightBytes / bandwidth) and does 2·params FLOPs per sequence (b·2·params / FLOP rate); the
 * slower of the two bounds the step. Prefill is compute-bound.
 */
export function estimateSpeed(
  profile: DeviceProfileLike,
  model: { weightBytes: number; parameters: number },
  widths: readonly number[] = [1, 4, 16],
): DecodeSpeed | undefined {
  const bw = profile.bandwidthGBps;
  const fl = profile.gflops ?? profile.matmulGflops;
  if (!bw && !fl) return undefined;
  const stepSeconds = (b: number) =>
    Math.max(bw ? model.weightBytes / (bw * 1e9) : 0, fl ? (b * 2 * model.parameters) / (fl * 1e9) : 0);
  const speed: DecodeSpeed = {
    points: widths.map((w) => ({ width: w, tokensPerSecond: w / stepSeconds(w) })),
    source: 'estimated',
  };
  if (fl) speed.prefillTokensPerSecond = (fl * 1e9) / (2 * model.parameters);
  return speed;
}
