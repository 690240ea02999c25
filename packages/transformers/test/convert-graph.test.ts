// The converter's ONNX graph against the float64 reference forward (packages/runtime/src/reference/forward.ts)
// on random-weight fixtures: llama (grouped-query attention, adjacent RoPE pairs), qwen2 (biases,
// tied embeddings, RoPE halves), qwen3 (per-head q/k norms), and a q4_0 llama as MatMulNBits. Each runs in onnxruntime-node as
// transformers.js would: a first pass over three prompts of different lengths, then a second pass
// that feeds the first pass's presents back as left-padded pasts (rows of different lengths) —
// every row's logits at every real position must match the reference.
import { openFileSource, parseGguf, readHparams } from '@ruminate/runtime';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { type StandardFixture, standardFixture } from '../../../tools/fixtures/standard-fixtures.ts';
import { ReferenceModel } from '../../runtime/src/reference/forward.ts';
import { readReferenceWeights } from '../../runtime/src/reference/gguf-weights.ts';
import { convertGgufToOnnx } from '../src/convert/index.ts';
import { layoutBatch, type Past, splitPresent } from '../src/past-batch.ts';

/** f32 graph vs f64 reference: |Δ| ≤ ABS + REL·|ref| per logit (logits are O(10) here). */
const ABS = 2e-3;
const REL = 1e-3;

/** A deterministic stream of pseudo-random ints (mulberry32), so failures reproduce. */
function randomInts(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n) as number;
  };
}

interface Converted {
  session: ort.InferenceSession;
  reference: () => ReferenceModel;
  vocab: number;
  shape: { layers: number; kvHeads: number; headDim: number };
}

async function convert(name: StandardFixture, file: string): Promise<Converted> {
  const source = await openFileSource(await standardFixture(name));
  try {
    const header = await parseGguf(source);
    const files = await convertGgufToOnnx(header, source);
    const hp = readHparams(header.metadata, (n) => header.tensors.find((t) => t.name === n)?.dims);
    const { lookup } = await readReferenceWeights(header, source);
    const session = await ort.InferenceSession.create(files.get(file) as Uint8Array);
    return {
      session,
      reference: () => new ReferenceModel(hp, lookup),
      vocab: hp.nVocab,
      shape: { layers: hp.nLayers, kvHeads: hp.nKvHeads, headDim: hp.headDim },
    };
  } finally {
    await source.close();
  }
}

/** Runs one pass of rows (tokens, cached count, past) and returns logits [B,S,V], the presents and the layout. */
async function run(m: Converted, rows: { tokens: number[]; cached: number; past: Past | undefined }[]) {
  const f = layoutBatch(rows, m.shape);
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', f.inputIds, [f.batch, f.newTokens]),
    attention_mask: new ort.Tensor('int64', f.attentionMask, [f.batch, f.pastSlots + f.newTokens]),
    position_ids: new ort.Tensor('int64', f.positionIds, [f.batch, f.newTokens]),
  };
  f.past.forEach((data, a) => {
    feeds[`past_key_values.${a >> 1}.${a & 1 ? 'value' : 'key'}`] = new ort.Tensor('float32', data, [
      f.batch,
      m.shape.kvHeads,
      f.pastSlots,
      m.shape.headDim,
    ]);
  });
  const out = await m.session.run(feeds);
  const present = Array.from({ length: 2 * m.shape.layers }, (_, a) => {
    return (out[`present.${a >> 1}.${a & 1 ? 'value' : 'key'}`] as ort.Tensor).data as Float32Array;
  });
  return { logits: (out.logits as ort.Tensor).data as Float32Array, present, layout: f };
}

function expectClose(got: Float32Array, want: Float64Array, where: string): void {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs((got[i] as number) - (want[i] as number)) - REL * Math.abs(want[i] as number);
    worst = Math.max(worst, Number.isNaN(err) ? Number.POSITIVE_INFINITY : err);
  }
  expect(worst, where).toBeLessThanOrEqual(ABS);
}

const CASES: [StandardFixture, string][] = [
  ['llama-f32', 'onnx/model.onnx'],
  ['qwen2-f32', 'onnx/model.onnx'],
  ['qwen3-f32', 'onnx/model.onnx'],
  // q4_0 matrices kept 4-bit (MatMulNBits): the reference dequantizes the same blocks.
  ['llama-q4_0', 'onnx/model_q4.onnx'],
];

describe.each(CASES)('GGUF → ONNX graph: %s (%s)', (fixture, file) => {
  let m: Converted;
  beforeAll(async () => {
    m = await convert(fixture, file);
  });

  it('matches the float64 reference over a left-padded batch, first pass and with pasts fed back', async () => {
    const next = randomInts(fixture.length * 7919);
    // Lengths that are no tile size's multiple; the second pass adds 1, 5 and 3 tokens.
    const prompts = [13, 6, 21].map((n) => Array.from({ length: n }, () => next(m.vocab)));
    const more = [1, 5, 3].map((n) => Array.from({ length: n }, () => next(m.vocab)));
    const refs = prompts.map(() => m.reference());
    const want1 = prompts.map((p, b) => (refs[b] as ReferenceModel).eval(p));
    const first = await run(
      m,
      prompts.map((tokens) => ({ tokens, cached: 0, past: undefined })),
    );
    const S1 = first.layout.newTokens;
    prompts.forEach((p, b) => {
      p.forEach((_, i) => {
        const at = (b * S1 + S1 - p.length + i) * m.vocab;
        expectClose(
          first.logits.subarray(at, at + m.vocab),
          want1[b]?.[i] as Float64Array,
          `pass 1 row ${b} token ${i}`,
        );
      });
    });
    const slots = first.layout.pastSlots + S1;
    const rows = prompts.map((p, b) => ({
      tokens: [...p, ...(more[b] as number[])],
      cached: p.length,
      past: splitPresent(first.present, b, p.length, slots, m.shape),
    }));
    const second = await run(m, rows);
    const S2 = second.layout.newTokens;
    rows.forEach((row, b) => {
      const added = more[b] as number[];
      const want = (refs[b] as ReferenceModel).eval(added);
      added.forEach((_, i) => {
        const at = (b * S2 + S2 - added.length + i) * m.vocab;
        expectClose(
          second.logits.subarray(at, at + m.vocab),
          want[i] as Float64Array,
          `pass 2 row ${b} token ${i} (length ${row.tokens.length})`,
        );
      });
    });
  });
});
