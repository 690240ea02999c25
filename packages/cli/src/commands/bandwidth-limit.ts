// The decode rate memory bandwidth allows, and how close a measured rate comes to it. A decode
// step of n sequences must read every weight once (one batched matmul serves all rows) and each
// sequence's K and V of every position it attends to, so
//   limit tok/s = n · bandwidth / (weight bytes + n · KV bytes per position · positions).
// The token-embedding table is left out (a step gathers one row of it) unless it doubles as the
// output projection (tied embeddings). The bandwidth is a device copy's bytes read + written.

import { measureCopyBandwidth } from '@ruminate/gpu';

/** A tensor as the step-bytes count needs it. */
export interface SizedTensor {
  name: string;
  /** Bytes of its data in the file (as stored on the device). */
  bytes: number;
}

/** Bytes of weights one decode step reads: every tensor but an untied token-embedding table. */
export function weightBytesPerStep(tensors: readonly SizedTensor[]): number {
  const tied = !tensors.some((t) => t.name === 'output.weight');
  return tensors.filter((t) => tied || t.name !== 'token_embd.weight').reduce((sum, t) => sum + t.bytes, 0);
}

/** One measured decode rate against its limit. */
export interface BandwidthLimitRow {
  sequences: number;
  /** Mean positions each sequence attends to per step. */
  positions: number;
  /** Bytes a step reads at the least. */
  bytesPerStep: number;
  /** Tokens per second (all sequences) if every step ran at the copy bandwidth. */
  limitTokS: number;
  /** The measured tokens per second (all sequences). */
  decodeTokS: number;
  /** decodeTokS / limitTokS: the target on a GPU is ≥ 0.5. */
  ratio: number;
}

/** The limit for `sequences` sequences attending to `positions` positions each, and the ratio of `decodeTokS` to it. */
export function bandwidthLimit(args: {
  weightBytes: number;
  kvBytesPerPosition: number;
  sequences: number;
  positions: number;
  copyGBps: number;
  decodeTokS: number;
}): BandwidthLimitRow {
  const bytesPerStep = args.weightBytes + args.sequences * args.kvBytesPerPosition * args.positions;
  const limitTokS = (args.sequences * args.copyGBps * 1e9) / bytesPerStep;
  return {
    sequences: args.sequences,
    positions: args.positions,
    bytesPerStep,
    limitTokS,
    decodeTokS: args.decodeTokS,
    ratio: args.decodeTokS / limitTokS,
  };
}

/** Copy bandwidth from two copy sizes. */
export interface CopyBandwidth {
  /** GB/s (read + written) of the larger copy minus the smaller: the fixed submit cost cancels out. */
  gbps: number;
  /** GB/s of each copy on its own, small then large, and their sizes in bytes. */
  small: { bytes: number; gbps: number };
  large: { bytes: number; gbps: number };
}

/**
 * The device's copy bandwidth, free of the fixed cost of a submit: a 64 MiB copy takes tens of
 * microseconds on a datacentre GPU, about what a submit costs, so a single copy's rate reads
 * low. Times a 64 MiB and a larger copy (up to 1 GiB, within maxBufferSize) and divides the
 * extra bytes by the extra time.
 */
export async function measureCopyGBps(device: GPUDevice): Promise<CopyBandwidth> {
  const smallBytes = Math.min(64 * 2 ** 20, device.limits.maxBufferSize);
  const small = (await copyRate(device, smallBytes)) ?? 0;
  // The largest copy the device can allocate (SwiftShader, say, refuses two 1 GiB buffers).
  let largeBytes = Math.min(2 ** 30, device.limits.maxBufferSize);
  let large: number | undefined;
  while (largeBytes > smallBytes) {
    large = await copyRate(device, largeBytes);
    if (large !== undefined) break;
    largeBytes /= 2;
  }
  if (large === undefined) [largeBytes, large] = [smallBytes, small];
  return {
    gbps: copySlopeGBps(smallBytes, small, largeBytes, large),
    small: { bytes: smallBytes, gbps: small },
    large: { bytes: largeBytes, gbps: large },
  };
}

/** One copy size's rate, or undefined where the device could not allocate or copy it. */
async function copyRate(device: GPUDevice, bytes: number): Promise<number | undefined> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  const gbps = await measureCopyBandwidth(device, { bytes });
  const invalid = await device.popErrorScope();
  const oom = await device.popErrorScope();
  return invalid || oom ? undefined : gbps;
}

/**
 * GB/s from two copies' sizes and rates: the extra bytes over the extra time, where the larger
 * copy took at least twice as long; otherwise (noise, a loaded CPU adapter) the better single rate.
 */
export function copySlopeGBps(
  smallBytes: number,
  smallGBps: number,
  largeBytes: number,
  largeGBps: number,
): number {
  const ms = (bytes: number, gbps: number) => (2 * bytes) / (gbps * 1e6);
  const smallMs = ms(smallBytes, smallGBps);
  const largeMs = ms(largeBytes, largeGBps);
  if (largeBytes <= smallBytes || largeMs < 2 * smallMs) return Math.max(smallGBps, largeGBps);
  return (2 * (largeBytes - smallBytes)) / ((largeMs - smallMs) * 1e6);
}
