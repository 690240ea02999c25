// What the tuner drives for matmul: for one (m, k, n, dtype) shape, the device-usable
// candidates of the kernel that serves it, the default among them, and a way to compile and
// record one run on buffers this object owns (weights are realistic quantized bytes).
import { RuminateError } from '../../errors.ts';
import { ggmlRowBytes, ggmlType } from '../../quant/ggml-types.ts';
import { quantize } from '../../quant/quantize.ts';
import type { Tunable } from '../../tuner/tunable.ts';
import type { KernelConfig, KernelContext } from '../context.ts';
import { pseudoRandom } from '../shared/pseudo-random.ts';
import { MatmulOp } from './matmul.ts';
import { GEMV_MAX_M, gemvMTile, matmulKernelFor, matmulOpName, matmulShapeBucket } from './select-kernel.ts';
import type { MatmulDtype } from './shader-source.ts';
import { usableCandidates } from './tuning-space.ts';

/** A matmul problem: m activation rows, k inner, n outputs, weight type. */
export interface MatmulShape {
  /** Activation rows. */
  m: number;
  /** Inner dimension (weight columns). */
  k: number;
  /** Outputs (weight rows). */
  n: number;
  /** Weight type. */
  dtype: MatmulDtype;
}

/**
 * The same problem with k/4 (k stays a multiple of 256, the K-quant block), and for GEMM
 * (m > 16) n/4 as well: slow adapters such as SwiftShader tune on it in a quarter (a sixteenth)
 * of the time. A GEMV keeps its n: the number of workgroups, and so how the work spreads over
 * the adapter's threads, decides its ranking (shrinking n made a one-workgroup winner of
 * candidates that serialise the full size); a GEMM's m × n tiles keep enough workgroups.
 */
export function reducedMatmulShape<S extends MatmulShape>(s: S): S {
  const k = Math.max(256, Math.round(s.k / 4 / 256) * 256);
  return s.m > GEMV_MAX_M ? { ...s, k, n: Math.max(256, Math.round(s.n / 4 / 8) * 8) } : { ...s, k };
}

/** A Tunable for matmul plus the ids of its candidates (for reports). */
export interface MatmulTunable extends Tunable {
  /** Candidate ids, parallel to `candidates`. */
  ids: readonly string[];
}

/**
 * The matmul op on one shape, as the tuner sees it (op `matmul/gemv` or `matmul/gemm`, bucket
 * from `matmulShapeBucket`). Its x, y and weights (one quantized random row of k values repeated
 * n times, so setup stays fast for big shapes) are allocated by the first `prepare`, so a
 * problem the tuner serves from its cache costs nothing; `dispose` frees them.
 */
export function matmulTunable(ctx: KernelContext, shape: MatmulShape): MatmulTunable {
  const { m, k, n, dtype } = shape;
  const kernel = matmulKernelFor(m);
  const { candidates, defaultIndex } = usableCandidates(ctx, kernel, gemvMTile(m));
  const device = ctx.device;
  const rowBytes = ggmlRowBytes(ggmlType(dtype), k);
  let buffers: { w: GPUBuffer; x: GPUBuffer; y: GPUBuffer } | undefined;
  const allocate = () => {
    const row = quantize(dtype, pseudoRandom(k, 7));
    const w = device.createBuffer({
      label: 'tune/matmul w',
      size: Math.ceil((rowBytes * n) / 4) * 4,
      usage: GPUBufferUsage.STORAGE,
      mappedAtCreation: true,
    });
    const bytes = new Uint8Array(w.getMappedRange());
    for (let r = 0; r < n; r++) bytes.set(row, r * rowBytes);
    w.unmap();
    const x = device.createBuffer({
      label: 'tune/matmul x',
      size: m * k * 4,
      usage: GPUBufferUsage.STORAGE,
      mappedAtCreation: true,
    });
    new Float32Array(x.getMappedRange()).set(pseudoRandom(m * k, 11));
    x.unmap();
    const y = device.createBuffer({ label: 'tune/matmul y', size: m * n * 4, usage: GPUBufferUsage.STORAGE });
    return { w, x, y };
  };
  let op: MatmulOp | undefined;
  const desc = { dtype, rows: n, cols: k, m };
  return {
    op: matmulOpName(kernel),
    bucket: matmulShapeBucket(m, k, n, dtype),
    candidates: candidates.map((c) => c.config),
    ids: candidates.map((c) => c.id),
    defaultIndex,
    prepare: async (config: KernelConfig) => {
      buffers ??= allocate();
      op ??= await MatmulOp.prepare(ctx);
      return op.prepareShape(desc, config);
    },
    encode: (encoder: GPUCommandEncoder, config: KernelConfig) => {
      if (!buffers || !op) {
        throw new RuminateError(
          'invalid-argument',
          'matmulTunable: prepare() a configuration before encode().',
        );
      }
      op.encode(encoder, {
        x: { buffer: buffers.x, offset: 0, size: m * k * 4 },
        w: { buffer: buffers.w, offset: 0, size: rowBytes * n, dtype, rows: n, cols: k },
        y: { buffer: buffers.y, offset: 0, size: m * n * 4 },
        m,
        config,
      });
    },
    work: { flops: 2 * m * k * n, bytes: rowBytes * n + 4 * m * k + 4 * m * n },
    dispose: () => {
      op?.destroy();
      buffers?.w.destroy();
      buffers?.x.destroy();
      buffers?.y.destroy();
    },
  };
}
