// The memory arena: planned regions are aligned and disjoint, the memory is exactly the pages
// they need (initial = maximum), and a plan past 4 GiB is refused before anything is allocated.
import { isRuminateError } from '@ruminate/errors';
import { describe, expect, it } from 'vitest';
import {
  assertFitsWasm32,
  createMemory,
  f32At,
  i32Of,
  MAX_WASM32_BYTES,
  MemoryPlan,
  NULL_GUARD_BYTES,
  u8At,
  WASM_PAGE_BYTES,
} from '../src/memory/index.ts';

describe('MemoryPlan', () => {
  it('places regions aligned, disjoint, after the null guard', () => {
    const plan = new MemoryPlan();
    const a = plan.add('a', 3);
    const w = plan.addWeights('w', 100);
    const b = plan.add('b', 5, 256);
    const c = plan.add('c', 0, 4); // alignment below 16 is raised to 16
    expect(a.offset).toBe(NULL_GUARD_BYTES);
    expect(w.offset % 64).toBe(0);
    expect(w.offset).toBeGreaterThanOrEqual(a.offset + a.bytes);
    expect(b.offset % 256).toBe(0);
    expect(b.offset).toBeGreaterThanOrEqual(w.offset + w.bytes);
    expect(c.offset % 16).toBe(0);
    expect(plan.totalBytes).toBe(c.offset);
    expect(plan.pages).toBe(1);
    expect(plan.region('w')).toEqual(w);
  });

  it('refuses duplicate names, bad sizes and alignments', () => {
    const plan = new MemoryPlan();
    plan.add('x', 4);
    expect(() => plan.add('x', 4)).toThrow(/planned twice/);
    expect(() => plan.add('y', -1)).toThrow(/bytes/);
    expect(() => plan.add('y', 1.5)).toThrow(/bytes/);
    expect(() => plan.add('y', 4, 24)).toThrow(/power of two/);
    expect(() => plan.region('nope')).toThrow(/no memory region named 'nope'/);
  });
});

describe('createMemory', () => {
  it('makes a shared memory of exactly the pages planned, with views at the regions', () => {
    const plan = new MemoryPlan();
    const weights = plan.addWeights('weights', 3 * WASM_PAGE_BYTES);
    const acts = plan.add('acts', 4 * 100);
    const arena = createMemory(plan, { shared: true });
    expect(arena.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(arena.pages).toBe(plan.pages);
    expect(arena.bytes).toBe(arena.memory.buffer.byteLength);
    expect(arena.bytes).toBeGreaterThanOrEqual(acts.offset + acts.bytes);
    // initial = maximum: it cannot grow, so views made once stay valid.
    expect(() => arena.memory.grow(1)).toThrow(RangeError);
    i32Of(arena.memory, acts).fill(7);
    expect(new Int32Array(arena.memory.buffer, acts.offset, 100).every((v) => v === 7)).toBe(true);
    expect(f32At(arena.memory, weights.offset, 4)).toHaveLength(4);
    expect(u8At(arena.memory, weights.offset, 8)).toHaveLength(8);
    expect(arena.region('acts')).toEqual(acts);
  });

  it('makes a plain memory when not shared', () => {
    const plan = new MemoryPlan();
    plan.add('x', 10);
    const arena = createMemory(plan, { shared: false });
    expect(arena.memory.buffer).toBeInstanceOf(ArrayBuffer);
    expect(arena.shared).toBe(false);
  });

  it('refuses a plan over 4 GiB with model-too-large, naming the bytes and the limit, before allocating', () => {
    const plan = new MemoryPlan();
    plan.addWeights('weights', 5 * 2 ** 30);
    let error: unknown;
    try {
      createMemory(plan, { shared: true });
    } catch (e) {
      error = e;
    }
    expect(isRuminateError(error, 'model-too-large')).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(String(plan.totalBytes));
    expect(message).toContain(String(MAX_WASM32_BYTES));
    expect(() => assertFitsWasm32(MAX_WASM32_BYTES)).not.toThrow();
    expect(() => assertFitsWasm32(MAX_WASM32_BYTES + 1, 'this GGUF')).toThrow(
      /this GGUF needs 4294967297 bytes/,
    );
  });
});
