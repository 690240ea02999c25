import { ortMatmul, type PeerTiming, tfjsMatmul } from './peer-matmul.ts';

declare global {
  interface Window {
    /** Times the peers' f32 matmul on each shape (called by `ruminate bench kernels`). */
    benchPeers?: (shapes: { m: number; k: number; n: number }[]) => Promise<PeerRow[]>;
  }
}

/** One shape's peer timings (an error string when a peer failed). */
export interface PeerRow {
  shape: { m: number; k: number; n: number };
  tfjs: PeerTiming | string;
  ort: PeerTiming | string;
}

const status = document.getElementById('status') as HTMLElement;

window.benchPeers = async (shapes) => {
  const rows: PeerRow[] = [];
  for (const shape of shapes) {
    const { m, k, n } = shape;
    status.textContent = `tfjs ${m}×${k}×${n}`;
    const tfjs = await tfjsMatmul(m, k, n).catch((e: Error) => `error: ${e.message}`);
    status.textContent = `ort ${m}×${k}×${n}`;
    const ort = await ortMatmul(m, k, n).catch((e: Error) => `error: ${e.message}`);
    rows.push({ shape, tfjs, ort });
  }
  status.textContent = 'done';
  return rows;
};
