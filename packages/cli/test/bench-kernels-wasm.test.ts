// `ruminate bench kernels --backend wasm`: the switch, the measuring code on one small shape
// (through the real thread pool), and the table. No wall-clock thresholds.
import { benchWasmMatmuls } from '@ruminate/wasm';
import { describe, expect, it, vi } from 'vitest';
import { benchKernels, renderWasmTable, type WasmKernelBenchMeta } from '../src/commands/bench-kernels.ts';

describe('bench kernels --backend', () => {
  it('refuses a backend other than webgpu or wasm with exit code 2', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await benchKernels.run(['--backend', 'cuda'])).toBe(2);
      expect(String(err.mock.calls[0]?.[0])).toContain('--backend must be webgpu or wasm');
      expect(await benchKernels.run(['--backend=wasm', '--types', 'q3_k'])).toBe(2);
    } finally {
      err.mockRestore();
    }
  });
});

describe('benchWasmMatmuls', () => {
  it('times each type × m on one thread and all threads; a shape a type cannot hold is a skipped row', async () => {
    const rows: string[] = [];
    const r = await benchWasmMatmuls({
      shapes: [
        { model: 't', op: 'a', k: 256, n: 40 },
        { model: 't', op: 'b', k: 96, n: 8 },
      ],
      types: ['q4_0', 'q4_k', 'f16'],
      ms: [1, 3],
      threads: 2,
      timing: { minRoundMs: 1, rounds: 1 },
      onRow: (row) => rows.push(`${row.op} ${row.type} ${row.m}`),
    });
    expect(r.rows.map((x) => `${x.op} ${x.type} ${x.m}`)).toEqual(rows);
    expect(r.rows).toHaveLength(2 * 3 * 2);
    const skipped = r.rows.filter((x) => x.skipped);
    expect(skipped.map((x) => `${x.op} ${x.type}`)).toEqual(['b q4_k', 'b q4_k']);
    for (const row of r.rows.filter((x) => !x.skipped)) {
      for (const t of [row.oneThread, ...(r.threading.threads > 1 ? [row.allThreads] : [])]) {
        expect(t && Number.isFinite(t.gflops) && t.gflops > 0 && t.weightGBps > 0 && t.sweepGBps > 0).toBe(
          true,
        );
      }
      expect(row.packedBytes).toBeGreaterThan(0);
    }
    expect(r.sweep.oneThreadGBps).toBeGreaterThan(0);

    const meta = {
      date: '2026-12-07T00:00:00.000Z',
      machine: {
        cpu: 'Test CPU',
        cores: 2,
        loadAverageBefore: [1, 2, 3],
        loadAverageAfter: [1, 2, 3],
        platform: 'linux',
        arch: 'x64',
        memoryGiB: 8,
      },
      node: 'v20',
      v8: '11',
      relaxedSimd: false,
      relaxedSimdValidates: true,
      features: r.features,
      threads: r.threading.threads,
      threadingReason: r.threading.reason,
      sweep: r.sweep,
      types: ['q4_0', 'q4_k', 'f16'],
      ms: [1, 3],
      totalMs: 1,
    } satisfies WasmKernelBenchMeta;
    const text = renderWasmTable(r.rows, meta);
    expect(text).toContain('1T GF/s');
    expect(text).toContain("skipped: k = 96 is not a multiple of q4_k's 256-value block");
    expect(text).toContain('Test CPU, 2 cores, load 1.00 2.00 3.00');
  });
});
