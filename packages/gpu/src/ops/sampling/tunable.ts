// The sampler as the tuner (and `ruminate bench kernels`) sees it: one (rows, vocab) problem
// with temperature/top-p rows (the common sampling path: candidates, merges, select), on
// buffers this object owns.
import type { Tunable } from '../../tuner/tunable.ts';
import type { KernelConfig, KernelContext } from '../context.ts';
import { defaultIndex } from '../shared/tuning-space.ts';
import { SamplerOp, samplerTuningSpace } from './sampler.ts';
import { packSamplerParams } from './sampler-params.ts';

/** Tuner bucket of a sampler problem, e.g. `r16-v151936`. */
export function samplerShapeBucket(rows: number, vocab: number): string {
  return `r${rows}-v${vocab}`;
}

/** Sampler Tunable (op `sampling/sampler`, bucket `samplerShapeBucket`), at the default candidate cap (256). */
export function samplerTunable(ctx: KernelContext, shape: { rows: number; vocab: number }): Tunable {
  const { rows, vocab } = shape;
  const device = ctx.device;
  const logits = new Float32Array(rows * vocab);
  let s = 12345;
  for (let i = 0; i < logits.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    logits[i] = (s / 2 ** 32) * 8 - 4;
  }
  const upload = (label: string, data: ArrayBufferView) => {
    const b = device.createBuffer({
      label,
      size: Math.max(16, Math.ceil(data.byteLength / 4) * 4),
      usage: GPUBufferUsage.STORAGE,
      mappedAtCreation: true,
    });
    new Uint8Array(b.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    b.unmap();
    return b;
  };
  const params = packSamplerParams(
    Array.from({ length: rows }, (_, r) => ({
      temperature: 0.8,
      topP: 0.95,
      sequence: r,
      position: 0,
      seed: r,
    })),
    vocab,
  );
  const logitsBuf = upload('tune/sampler logits', logits);
  const paramsBuf = upload('tune/sampler params', params);
  const out = device.createBuffer({
    label: 'tune/sampler out',
    size: SamplerOp.outputBytes(rows),
    usage: GPUBufferUsage.STORAGE,
  });
  const ops = new Map<string, SamplerOp>();
  const keyOf = (c: KernelConfig) => JSON.stringify(c.constants);
  return {
    op: samplerTuningSpace.op,
    bucket: samplerShapeBucket(rows, vocab),
    candidates: samplerTuningSpace.candidates.map((c) => ({ constants: { ...c } })),
    defaultIndex: defaultIndex(samplerTuningSpace, ctx),
    prepare: async (config: KernelConfig) => {
      if (!ops.has(keyOf(config)))
        ops.set(keyOf(config), await SamplerOp.prepare(ctx, { config: config.constants }));
    },
    encode: (encoder: GPUCommandEncoder, config: KernelConfig) => {
      const op = ops.get(keyOf(config));
      if (!op) throw new Error('samplerTunable: prepare(config) must run before encode(config)');
      op.encode(encoder, {
        logits: { buffer: logitsBuf, offset: 0, size: logits.byteLength },
        params: { buffer: paramsBuf, offset: 0, size: paramsBuf.size },
        out: { buffer: out, offset: 0, size: out.size },
        rows,
        vocab,
      });
    },
    work: { flops: 10 * rows * vocab, bytes: 4 * rows * vocab },
    dispose: () => {
      logitsBuf.destroy();
      paramsBuf.destroy();
      out.destroy();
    },
  };
}
