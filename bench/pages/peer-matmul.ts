// f32 matmul through the peers on the page's WebGPU adapter, timed the way a user calls
// them: activations uploaded, product computed, result read back; weights stay resident.
// Median of `reps` after a warm-up. Loaded from the served node_modules at run time.
import { onnxMatmulModel } from '../kernels/onnx-matmul.ts';

/** One peer's rate on one shape. */
export interface PeerTiming {
  /** Median ms per call. */
  ms: number;
  /** 2·m·k·n / time. */
  gflops: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] as number;
}

function randomMatrix(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

function loadScript(src: string): Promise<void> {
  return new Promise((ok, fail) => {
    const el = document.createElement('script');
    el.src = src;
    el.onload = () => ok();
    el.onerror = () => fail(new Error(`could not load ${src}`));
    document.head.append(el);
  });
}

interface TfTensor {
  data(): Promise<Float32Array>;
  dispose(): void;
}
interface Tf {
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
  tensor2d(values: Float32Array, shape: [number, number]): TfTensor;
  matMul(a: TfTensor, b: TfTensor): TfTensor;
}

let tfReady: Promise<Tf> | undefined;

/** tfjs-core + tfjs-backend-webgpu, with the webgpu backend selected. */
function loadTf(): Promise<Tf> {
  tfReady ??= (async () => {
    await loadScript('/node_modules/@tensorflow/tfjs-core/dist/tf-core.min.js');
    await loadScript('/node_modules/@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js');
    const tf = (globalThis as unknown as { tf: Tf }).tf;
    if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs could not select its webgpu backend');
    await tf.ready();
    return tf;
  })();
  return tfReady;
}

/** tfjs-backend-webgpu `tf.matMul` on [m,k]×[k,n], `await data()` each call. */
export async function tfjsMatmul(m: number, k: number, n: number, reps = 5): Promise<PeerTiming> {
  const tf = await loadTf();
  const a = randomMatrix(m * k, 1);
  const b = tf.tensor2d(randomMatrix(k * n, 2), [k, n]);
  const times: number[] = [];
  for (let i = 0; i <= reps; i++) {
    const start = performance.now();
    const at = tf.tensor2d(a, [m, k]);
    const c = tf.matMul(at, b);
    await c.data();
    if (i > 0) times.push(performance.now() - start);
    at.dispose();
    c.dispose();
  }
  b.dispose();
  const ms = median(times);
  return { ms, gflops: (2 * m * k * n) / (ms * 1e-3) / 1e9 };
}

interface OrtTensor {
  getData?(): Promise<Float32Array>;
  data: Float32Array;
}
interface Ort {
  env: { wasm: { wasmPaths: string; numThreads: number } };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => OrtTensor;
  InferenceSession: {
    create(
      model: Uint8Array,
      options: { executionProviders: string[] },
    ): Promise<{
      run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
      release(): Promise<void>;
    }>;
  };
}

let ortReady: Promise<Ort> | undefined;

function loadOrt(): Promise<Ort> {
  ortReady ??= (async () => {
    const url = '/node_modules/onnxruntime-web/dist/ort.webgpu.bundle.min.mjs';
    const ort = (await import(/* @vite-ignore */ url)) as Ort;
    ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
    return ort;
  })();
  return ortReady;
}

/** onnxruntime-web (WebGPU execution provider) on a one-node MatMul model, output read back each call. */
export async function ortMatmul(m: number, k: number, n: number, reps = 5): Promise<PeerTiming> {
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(onnxMatmulModel(m, k, n, randomMatrix(k * n, 2)), {
    executionProviders: ['webgpu'],
  });
  const a = randomMatrix(m * k, 1);
  const times: number[] = [];
  for (let i = 0; i <= reps; i++) {
    const start = performance.now();
    const out = await session.run({ A: new ort.Tensor('float32', a, [m, k]) });
    const c = out.C as OrtTensor;
    if (c.getData) await c.getData();
    if (i > 0) times.push(performance.now() - start);
  }
  await session.release();
  const ms = median(times);
  return { ms, gflops: (2 * m * k * n) / (ms * 1e-3) / 1e9 };
}
