// The decode bandwidth limit `bench decode` reports: bytes a step must read (weights once, KV
// per sequence; the embedding table only when it is also the output projection) over the copy
// bandwidth, and a measured rate's share of it.
import { describe, expect, it } from 'vitest';
import { bandwidthLimit, copySlopeGBps, weightBytesPerStep } from '../src/commands/bandwidth-limit.ts';

describe('the decode bandwidth limit', () => {
  const layers = [
    { name: 'blk.0.attn_q.weight', bytes: 1000 },
    { name: 'blk.0.attn_norm.weight', bytes: 24 },
  ];

  it('leaves out an untied embedding table (one row is gathered) and keeps a tied one (it is the output)', () => {
    const untied = [
      { name: 'token_embd.weight', bytes: 5000 },
      ...layers,
      { name: 'output.weight', bytes: 700 },
    ];
    expect(weightBytesPerStep(untied)).toBe(1000 + 24 + 700);
    const tied = [{ name: 'token_embd.weight', bytes: 5000 }, ...layers];
    expect(weightBytesPerStep(tied)).toBe(5000 + 1000 + 24);
  });

  it('reads the weights once per step and the KV once per sequence', () => {
    const one = bandwidthLimit({
      weightBytes: 1e9,
      kvBytesPerPosition: 1e5,
      sequences: 1,
      positions: 100,
      copyGBps: 2000,
      decodeTokS: 1000,
    });
    expect(one.bytesPerStep).toBe(1e9 + 1e7);
    expect(one.limitTokS).toBeCloseTo(2000e9 / 1.01e9, 6);
    expect(one.ratio).toBeCloseTo(1000 / (2000e9 / 1.01e9), 9);
    const sixteen = bandwidthLimit({
      weightBytes: 1e9,
      kvBytesPerPosition: 1e5,
      sequences: 16,
      positions: 100,
      copyGBps: 2000,
      decodeTokS: 1000,
    });
    expect(sixteen.bytesPerStep).toBe(1e9 + 16e7);
    expect(sixteen.limitTokS).toBeCloseTo((16 * 2000e9) / 1.16e9, 6);
  });

  it('takes the copy bandwidth from two sizes, free of the fixed submit cost, and falls back on noise', () => {
    const MiB = 2 ** 20;
    // 3000 GB/s behind a 100 µs fixed cost: 64 MiB reads as ~1150 GB/s, 1 GiB as ~2740 GB/s.
    const rate = (bytes: number) => (2 * bytes) / ((2 * bytes) / 3000e9 + 100e-6) / 1e9;
    expect(copySlopeGBps(64 * MiB, rate(64 * MiB), 1024 * MiB, rate(1024 * MiB))).toBeCloseTo(3000, 6);
    // The larger copy barely slower than the smaller (a loaded CPU): the better single rate.
    expect(copySlopeGBps(64 * MiB, 1.1, 1024 * MiB, 17)).toBe(17);
  });
});
