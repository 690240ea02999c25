// Feature detection: the hand-written probe modules validate here (Node 20: SIMD128, threads;
// relaxed SIMD after the V8 flag, though its dot-add computes wrong there, which the probe
// catches), requireWasmSimd names what is missing, and the pool's workers run relaxed-SIMD
// kernels once the flag is set in this process.
import { isRuminateError } from '@ruminate/errors';
import { describe, expect, it } from 'vitest';
import { type Local, ModuleBuilder } from '../src/encoder/index.ts';
import {
  detectWasmFeatures,
  enableRelaxedSimdInNode,
  FEATURE_PROBES,
  requireWasmSimd,
} from '../src/features.ts';
import { THREAD_PARAMS } from '../src/kernels/thread-share.ts';
import { createMemory, i32Of, MemoryPlan } from '../src/memory/index.ts';
import { Program, reserveControl, ThreadPool } from '../src/pool/index.ts';

describe('detectWasmFeatures', () => {
  it('finds SIMD128, threads and shared memory in Node', () => {
    const f = detectWasmFeatures();
    expect(f).toMatchObject({ simd128: true, threads: true, sharedMemory: true, crossOriginIsolated: true });
    expect(WebAssembly.validate(FEATURE_PROBES.simd128)).toBe(true);
    expect(WebAssembly.validate(FEATURE_PROBES.threads)).toBe(true);
  });

  it('validates relaxed SIMD after enableRelaxedSimdInNode, counts it only if the dot-add is right, and pool workers run it', async () => {
    const f = await enableRelaxedSimdInNode();
    expect(f.relaxedSimdValidates).toBe(true);
    expect(WebAssembly.validate(FEATURE_PROBES.relaxedSimd)).toBe(true);
    const check = new WebAssembly.Instance(new WebAssembly.Module(FEATURE_PROBES.relaxedDotAdd));
    // 108 in Chromium; Node 20's flagged V8 returns 16 (8 products, accumulator dropped).
    expect(f.relaxedSimd).toBe((check.exports.f as () => number)() === 108);

    // dot(out): out[t] = lane 0 of i16x8.relaxed_dot_i8x16_i7x16_s(all 3s, all 2s) = 2 · 6, on each thread.
    const plan = new MemoryPlan();
    const control = reserveControl(plan, 4);
    const out = plan.add('out', 16);
    const arena = createMemory(plan, { shared: true });
    const m = new ModuleBuilder().importMemory({ initial: arena.pages, maximum: arena.pages, shared: true });
    m.func('dot', [['out', 'i32'], ...THREAD_PARAMS], [], (b) => {
      const [o, t] = b.params as [Local, Local, Local];
      b.get(o).get(t).i32(4).op('i32.mul').op('i32.add');
      b.v128({ bytes: new Array(16).fill(3) }).v128({ bytes: new Array(16).fill(2) });
      b.op('i16x8.relaxed_dot_i8x16_i7x16_s').op('i16x8.extract_lane_s', 0);
      b.op('i32.store');
    });
    const pool = await ThreadPool.create({
      module: new WebAssembly.Module(m.encode()),
      memory: arena.memory,
      exportNames: ['dot'],
      control,
      threads: 2,
    });
    try {
      await pool.run(Program.from([{ fn: 0, args: [out.offset] }]));
      expect([...i32Of(arena.memory, out).subarray(0, 2)]).toEqual([12, 12]);
    } finally {
      await pool.destroy();
    }
  });
});

describe('requireWasmSimd', () => {
  it('passes with SIMD128 and throws wasm-unsupported naming SIMD128 without it', () => {
    const f = detectWasmFeatures();
    expect(() => requireWasmSimd(f)).not.toThrow();
    let error: unknown;
    try {
      requireWasmSimd({ ...f, simd128: false });
    } catch (e) {
      error = e;
    }
    expect(isRuminateError(error, 'wasm-unsupported')).toBe(true);
    expect((error as Error).message).toMatch(/SIMD128/);
  });
});
