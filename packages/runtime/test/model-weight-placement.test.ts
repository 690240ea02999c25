import { isRuminateError } from '@ruminate/errors';
import { describe, expect, it } from 'vitest';
import { PLACEMENT_ALIGNMENT, planWeights } from '../src/model/weight-placement.ts';

const MiB = 1024 * 1024;

describe('planWeights', () => {
  it('aligns every tensor to 256 bytes and keeps every part within the binding and buffer limits', () => {
    const tensors = [
      { name: 'a', bytes: 18 * 1000, rows: 1000 }, // q4_0-like rows: 18 bytes, not 4-aligned
      { name: 'embd', bytes: 150_000 * 2048, rows: 150_000 }, // 2 KiB rows (293 MiB), bigger than the binding cap
      { name: 'b', bytes: 3 * 1_398_102, rows: 3 },
      { name: 'c', bytes: 100, rows: 1 },
    ];
    const limits = { maxBufferSize: 256 * MiB, maxStorageBufferBindingSize: 128 * MiB };
    const plan = planWeights(tensors, limits);
    for (const size of plan.buffers) {
      expect(size).toBeLessThanOrEqual(limits.maxBufferSize);
      expect(size % 4).toBe(0);
    }
    for (const t of tensors) {
      const parts = plan.parts.get(t.name)!;
      let rows = 0;
      let bytes = 0;
      for (const p of parts) {
        expect(p.offset % PLACEMENT_ALIGNMENT).toBe(0);
        expect(p.rowStart).toBe(rows);
        expect(Math.ceil(p.bytes / 4) * 4).toBeLessThanOrEqual(limits.maxStorageBufferBindingSize);
        expect(p.offset + Math.ceil(p.bytes / 4) * 4).toBeLessThanOrEqual(plan.buffers[p.buffer]!);
        rows += p.rows;
        bytes += p.bytes;
      }
      expect(rows).toBe(t.rows);
      expect(bytes).toBe(t.bytes);
    }
    expect(plan.parts.get('embd')!.length).toBe(3); // 300 MiB in ≤ 128 MiB parts
    // No two parts overlap within a buffer.
    const all = [...plan.parts.values()].flat().sort((x, y) => x.buffer - y.buffer || x.offset - y.offset);
    for (let i = 1; i < all.length; i++) {
      const [p, q] = [all[i - 1]!, all[i]!];
      if (p.buffer === q.buffer) expect(q.offset).toBeGreaterThanOrEqual(p.offset + p.bytes);
    }
  });

  it('packs small tensors into one buffer', () => {
    const tensors = Array.from({ length: 50 }, (_, i) => ({ name: `t${i}`, bytes: 1000 + i, rows: 1 }));
    const plan = planWeights(tensors, { maxBufferSize: 1 << 30, maxStorageBufferBindingSize: 1 << 27 });
    expect(plan.buffers).toHaveLength(1);
  });

  it('refuses a row wider than a binding with a limit-too-low error', () => {
    try {
      planWeights([{ name: 'wide', bytes: 2 * MiB, rows: 1 }], {
        maxBufferSize: MiB,
        maxStorageBufferBindingSize: MiB,
      });
      expect.unreachable();
    } catch (e) {
      expect(isRuminateError(e, 'limit-too-low')).toBe(true);
    }
  });
});
