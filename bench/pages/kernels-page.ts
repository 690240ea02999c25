import {
  gemvMTile,
  kernelContextFor,
  MemoryTuningStore,
  matmulDefault,
  requestDevice,
  Tuner,
  tuningIdentity,
} from '@ruminate/gpu';
import { timeMatmulEndToEnd } from '../kernels/matmul-end-to-end.ts';
import { runMatmulSuite } from '../kernels/matmul-suite.ts';
import { ortMatmul, type PeerTiming, tfjsMatmul } from './peer-matmul.ts';

/** One f32 shape on the page: Ruminate (default and tuned) and the peers, all timed end to end. */
export interface PagePeerRow {
  shape: { m: number; k: number; n: number };
  /** Ruminate, shipped default, upload + compute + readback. */
  ruminateDefault: PeerTiming;
  /** Ruminate, winner tuned on this page, same timing. */
  ruminateTuned: PeerTiming;
  tfjs: PeerTiming | string;
  ort: PeerTiming | string;
  /** Wall ms the page spent tuning this shape. */
  tuneMs: number;
}

declare global {
  interface Window {
    /** Tunes and times f32 matmul for Ruminate and the peers on this page (called by `ruminate bench kernels`). */
    benchF32Matmul?: (
      shapes: { m: number; k: number; n: number }[],
      options: { reduced: boolean; budgetMs: number },
    ) => Promise<PagePeerRow[]>;
  }
}

const status = document.getElementById('status') as HTMLElement;
const rate = (m: number, k: number, n: number, ms: number): PeerTiming => ({
  ms,
  gflops: (2 * m * k * n) / (ms * 1e-3) / 1e9,
});

window.benchF32Matmul = async (shapes, options) => {
  const acquired = await requestDevice();
  const tuner = await Tuner.open(acquired.device, tuningIdentity(acquired.info), new MemoryTuningStore());
  const ctx = kernelContextFor(acquired);
  const rows: PagePeerRow[] = [];
  for (const shape of shapes) {
    const { m, k, n } = shape;
    status.textContent = `ruminate ${m}×${k}×${n}`;
    const [tuned] = await runMatmulSuite(ctx, tuner, {
      reduced: options.reduced,
      budgetMs: options.budgetMs,
      reps: 3,
      problems: [{ ...shape, dtype: 'f32' }],
    });
    if (!tuned) throw new Error('the matmul suite returned no row');
    const defaultConfig = matmulDefault(m <= 16 ? 'gemv' : 'gemm', ctx, gemvMTile(m)).config;
    const ruminateDefault = rate(m, k, n, await timeMatmulEndToEnd(ctx, shape, defaultConfig));
    const ruminateTuned = rate(m, k, n, await timeMatmulEndToEnd(ctx, shape, tuned.winner));
    status.textContent = `tfjs ${m}×${k}×${n}`;
    const tfjs = await tfjsMatmul(m, k, n).catch((e: Error) => `error: ${e.message}`);
    status.textContent = `ort ${m}×${k}×${n}`;
    const ort = await ortMatmul(m, k, n).catch((e: Error) => `error: ${e.message}`);
    rows.push({ shape, ruminateDefault, ruminateTuned, tfjs, ort, tuneMs: tuned.tuneMs });
  }
  acquired.device.destroy();
  status.textContent = 'done';
  return rows;
};
