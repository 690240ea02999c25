// Metadata read as llama.cpp reads it (defaults, alternative spellings, refusals) and the tensor
// check (missing, misshapen, unimplemented and unused tensors), on files from the fixture writer.
import { readFile } from 'node:fs/promises';
import { isRuminateError } from '@ruminate/errors';
import { describe, expect, it } from 'vitest';
import { KEY_FIXTURES, keyFixture, keyFixtureCoverage } from '../../../tools/fixtures/key-fixtures.ts';
import {
  type FixtureArch,
  type ModelGgufOptions,
  makeModelGguf,
} from '../../../tools/fixtures/model-gguf.ts';
import { memorySource } from '../src/gguf/memory-source.ts';
import { gguf } from '../src/gguf/metadata.ts';
import { parseGguf } from '../src/gguf/parse.ts';
import type { GgufHeader, GgufValue } from '../src/gguf/types.ts';
import { kvBytesPerToken } from '../src/loading/model-fit.ts';
import { type Hparams, readHparams, ropeFactorsTensor } from '../src/model/hparams.ts';
import { checkModelTensors } from '../src/model/tensor-names.ts';

const parse = (bytes: Uint8Array) => parseGguf(memorySource(bytes, 'test.gguf'));
const hparamsOf = (h: GgufHeader): Hparams =>
  readHparams(h.metadata, (n) => h.tensors.find((t) => t.name === n)?.dims);
const small = (o: Partial<ModelGgufOptions> = {}): Promise<GgufHeader> =>
  parse(makeModelGguf({ arch: 'llama', seed: 1, ...o }));

/** Runs `f` and returns the RuminateError it throws (failing when it throws none). */
function errorOf(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    if (isRuminateError(e)) return e;
    throw e;
  }
  throw new Error('expected a RuminateError');
}

describe('key fixtures', () => {
  for (const arch of [
    'llama',
    'mixtral',
    'qwen2',
    'qwen3',
    'qwen2moe',
    'phi3',
    'gemma2',
    'gemma3',
  ] as FixtureArch[]) {
    it(`${arch}: every optional key is left out by some fixture`, () => {
      expect(keyFixtureCoverage(arch)).toEqual([]);
    });
  }
  for (const name of Object.keys(KEY_FIXTURES)) {
    it(`${name} reads and binds every tensor`, async () => {
      const h = await parse(await readFile(await keyFixture(name)));
      const hp = hparamsOf(h);
      expect(checkModelTensors(hp, h.tensors)).toHaveLength(h.tensors.length);
      const r = KEY_FIXTURES[name] as ModelGgufOptions;
      expect(hp.nKvHeads).toBe(r.nKvHeads);
      expect(hp.headDim).toBe(128);
      expect(hp.ropeScale).toBe(r.ropeScaling?.factor ?? 1);
      expect(hp.ropeBase).toBe(r.ropeBase ?? 10000);
      expect(hp.ropeFreqFactors).toBe(r.ropeFreqFactors === true);
      expect(hp.nVocab).toBe(512);
    });
  }
  it('qwen2moe without the expert widths falls back as llama.cpp does: n_ff / n_expert_used and n_ff', async () => {
    const h = await parse(await readFile(await keyFixture('qwen2moe-keys-absent')));
    expect(h.metadata.has('qwen2moe.expert_shared_feed_forward_length')).toBe(false);
    expect(h.metadata.has('qwen2moe.expert_feed_forward_length')).toBe(false);
    const hp = hparamsOf(h);
    expect([hp.nFf, hp.nFfShared]).toEqual([128, 256]);
  });
  it("the header's fit check reads per-layer arrays as the loader does", async () => {
    const alt = await parse(await readFile(await keyFixture('llama-keys-alt')));
    expect(alt.metadata.get('llama.attention.head_count_kv')?.type).toBe('array');
    // 2 layers × 1 KV head × (128 + 128) × 4 bytes.
    expect(kvBytesPerToken(alt.metadata)).toBe(2 * 1 * 256 * 4);
  });
  it('qwen2moe without feed_forward_length takes both widths from their own keys', async () => {
    const h = await parse(await readFile(await keyFixture('qwen2moe-keys-alt')));
    expect(h.metadata.has('qwen2moe.feed_forward_length')).toBe(false);
    const hp = hparamsOf(h);
    expect([hp.nFf, hp.nFfShared]).toEqual([128, 256]);
  });
});

describe('metadata refused as llama.cpp refuses it, or as not implemented', () => {
  const meta = (entries: [string, GgufValue][], o: Partial<ModelGgufOptions> = {}) =>
    small({ ...o, extraMetadata: entries });

  it('YaRN is refused naming the key; LongRoPE computes as linear and its attn_factor is read', async () => {
    const yarn = await meta([['llama.rope.scaling.type', gguf.str('yarn')]]);
    const e = errorOf(() => hparamsOf(yarn));
    expect(e.code).toBe('gguf-unsupported');
    expect(e.message).toContain('llama.rope.scaling.type');
    expect(e.message).toContain('YaRN');
    const h = await meta([['llama.rope.scaling.type', gguf.str('ntk')]]);
    expect(errorOf(() => hparamsOf(h)).code).toBe('gguf-invalid');
    // llama.cpp: ext_factor 0 for longrope, freq_scale from the factor, cos/sin times attn_factor.
    const longrope = await meta([
      ['llama.rope.scaling.type', gguf.str('longrope')],
      ['llama.rope.scaling.factor', gguf.f32(2)],
      ['llama.rope.scaling.attn_factor', gguf.f32(1.2)],
    ]);
    const hp = hparamsOf(longrope);
    expect([hp.ropeScale, hp.ropeAttnFactor]).toEqual([2, Math.fround(1.2)]);
    const bad = await meta([['llama.rope.scaling.attn_factor', gguf.f32(0)]]);
    expect(errorOf(() => hparamsOf(bad)).code).toBe('gguf-invalid');
  });

  it('a required key missing, or stored with another type, is refused naming it', async () => {
    const noEps = await small({ omitKeys: ['attention.layer_norm_rms_epsilon'] });
    expect(errorOf(() => hparamsOf(noEps)).message).toContain('llama.attention.layer_norm_rms_epsilon');
    const noCtx = await small({ omitKeys: ['context_length'] });
    expect(errorOf(() => hparamsOf(noCtx)).message).toContain('llama.context_length');
    const u64 = await meta([['llama.context_length', gguf.u64(512)]]);
    const e = errorOf(() => hparamsOf(u64));
    expect(e.code).toBe('gguf-invalid');
    expect(e.message).toMatch(/llama\.context_length is stored as u64.*u32/);
  });

  it('per-layer arrays: the wrong length is refused, different values are not implemented', async () => {
    const short = await meta([['llama.attention.head_count', gguf.u32s([4])]]);
    expect(errorOf(() => hparamsOf(short)).message).toContain('wrong array length');
    const mixed = await meta([['llama.feed_forward_length', gguf.u32s([128, 64])]]);
    const e = errorOf(() => hparamsOf(mixed));
    expect(e.code).toBe('gguf-unsupported');
    expect(e.message).toContain('llama.feed_forward_length');
  });

  it('a rotary dimension other than the head size is refused (llama.cpp: invalid n_rot)', async () => {
    const h = await meta([['llama.rope.dimension_count', gguf.u32(8)]]);
    expect(errorOf(() => hparamsOf(h)).message).toContain('llama.rope.dimension_count');
  });

  it('an unknown architecture says what Ruminate lacks for it', async () => {
    const h = await meta([['general.architecture', gguf.str('llama4')]]);
    const e = errorOf(() => hparamsOf(h));
    expect(e.code).toBe('gguf-unsupported');
    expect(e.message).toMatch(/llama4.*chunked attention/);
    expect(e.message).toContain('gemma2');
  });
});

describe('tensors', () => {
  it('a tensor the model never reads is refused naming it, unless allowUnusedTensors', async () => {
    const h = await small({ extraTensors: [{ name: 'blk.0.ffn_extra.weight', dims: [64, 8] }] });
    const hp = hparamsOf(h);
    const e = errorOf(() => checkModelTensors(hp, h.tensors));
    expect(e.code).toBe('gguf-unsupported');
    expect(e.message).toContain('blk.0.ffn_extra.weight');
    expect(e.message).toContain('allowUnusedTensors');
    const bound = checkModelTensors(hp, h.tensors, { allowUnusedTensors: true });
    expect(bound.map((t) => t.name)).not.toContain('blk.0.ffn_extra.weight');
    expect(bound).toHaveLength(h.tensors.length - 1);
  });

  it('a needed tensor missing, or misshapen, is refused naming it', async () => {
    const h = await small();
    const hp = hparamsOf(h);
    const missing = errorOf(() =>
      checkModelTensors(
        hp,
        h.tensors.filter((t) => t.name !== 'blk.1.ffn_up.weight'),
      ),
    );
    expect(missing.message).toContain('blk.1.ffn_up.weight');
    const wrong = h.tensors.map((t) => (t.name === 'blk.0.attn_k.weight' ? { ...t, dims: [64, 16] } : t));
    expect(errorOf(() => checkModelTensors(hp, wrong)).message).toMatch(
      /blk\.0\.attn_k\.weight has shape \[64, 16\]/,
    );
    // Without head_count_kv, llama.cpp assumes 4 KV heads: the 2-head K/V tensors no longer fit.
    const noKv = await small({ omitKeys: ['attention.head_count_kv'] });
    expect(errorOf(() => checkModelTensors(hparamsOf(noKv), noKv.tensors)).message).toContain(
      'attn_k.weight',
    );
  });

  it('a fused QKV tensor replaces attn_q/k/v (llama.cpp create_tensor_qkv); beside them they are unread', async () => {
    // llama fixture: n_embd 64, 4 heads of 16, 2 KV heads: q|k|v = 64 + 32 + 32 rows.
    const h = await small({ extraTensors: [{ name: 'blk.0.attn_qkv.weight', dims: [64, 128] }] });
    const e = errorOf(() => checkModelTensors(hparamsOf(h), h.tensors));
    expect(e.code).toBe('gguf-unsupported');
    expect(e.message).toContain('blk.0.attn_q.weight');
    const fused = h.tensors.filter((t) => !/^blk\.0\.attn_[qkv]\.weight$/.test(t.name));
    expect(checkModelTensors(hparamsOf(h), fused)).toHaveLength(fused.length);
    const misshapen = fused.map((t) => (t.name === 'blk.0.attn_qkv.weight' ? { ...t, dims: [64, 96] } : t));
    expect(errorOf(() => checkModelTensors(hparamsOf(h), misshapen)).message).toContain(
      'blk.0.attn_qkv.weight',
    );
  });

  it('optional tensors llama.cpp reads for llama are bound: biases and rope_freqs', async () => {
    const h = await small({
      ropeFreqFactors: true,
      extraTensors: [
        { name: 'blk.0.attn_output.bias', dims: [64] },
        { name: 'blk.1.ffn_down.bias', dims: [64] },
      ],
    });
    const hp = hparamsOf(h);
    expect(hp.ropeFreqFactors).toBe(true);
    expect(checkModelTensors(hp, h.tensors)).toHaveLength(h.tensors.length);
    // qwen2's loader creates no output-projection bias: there it is refused as unused.
    const q = await parse(
      makeModelGguf({
        arch: 'qwen2',
        seed: 2,
        extraTensors: [{ name: 'blk.0.attn_output.bias', dims: [64] }],
      }),
    );
    expect(errorOf(() => checkModelTensors(hparamsOf(q), q.tensors)).message).toContain(
      'blk.0.attn_output.bias',
    );
  });
});

describe('gemma2, gemma3 and phi3 keys as llama.cpp reads them (src/models/{gemma2,gemma3,phi3}.cpp)', () => {
  const file = (arch: FixtureArch, o: Partial<ModelGgufOptions> = {}) =>
    parse(makeModelGguf({ arch, seed: 3, nEmbd: 64, nHeads: 4, nKvHeads: 2, nFf: 64, ...o }));
  const at = (arch: string, k: string, v: GgufValue): [string, GgufValue] => [`${arch}.${k}`, v];

  it('gemma2 defaults: window 4096 on every other layer, soft-caps 50 and 30, one RoPE for both kinds', async () => {
    const hp = hparamsOf(await file('gemma2', { nLayers: 4, ropeBase: 20000 }));
    expect(hp.slidingWindow).toBe(4096);
    expect(hp.swaLayers).toEqual([true, false, true, false]);
    expect([hp.attnSoftcap, hp.finalSoftcap]).toEqual([50, 30]);
    expect([hp.ropeBaseSwa, hp.ropeScaleSwa]).toEqual([20000, 1]);
    expect(hp.attnScale).toBe(Math.fround(1 / Math.sqrt(16)));
    expect(hp.embedScale).toBe(Math.fround(8));
    expect([hp.ffnAct, hp.postNorms]).toEqual(['gelu', true]);
  });

  it("Gemma's 27B models (46 gemma2 layers) scale queries by 1/√(n_embd / n_head), not 1/√head_dim", async () => {
    const hp = hparamsOf(await file('gemma2', { nLayers: 46, headDim: 32 }));
    expect(hp.headDim).toBe(32);
    expect(hp.attnScale).toBe(Math.fround(1 / Math.sqrt(64 / 4)));
    const small = hparamsOf(await file('gemma2', { nLayers: 2, headDim: 32 }));
    expect(small.attnScale).toBe(Math.fround(1 / Math.sqrt(32)));
  });

  it('gemma3: no window key, no sliding layers; with one, pattern 6 and the sliding base 10000 unscaled', async () => {
    const none = hparamsOf(await file('gemma3', { nLayers: 7 }));
    expect(none.swaLayers.some((s) => s)).toBe(false);
    expect(none.finalSoftcap).toBe(0);
    const swa = hparamsOf(
      await file('gemma3', {
        nLayers: 7,
        ropeBase: 1e6,
        ropeScaling: { factor: 8 },
        extraMetadata: [at('gemma3', 'attention.sliding_window', gguf.u32(512))],
      }),
    );
    expect(swa.swaLayers).toEqual([true, true, true, true, true, false, true]);
    expect([swa.ropeBase, swa.ropeScale, swa.ropeBaseSwa, swa.ropeScaleSwa]).toEqual([1e6, 8, 10000, 1]);
  });

  it('phi3 reads its sliding window and, as llama.cpp does, attends to the whole context', async () => {
    const hp = hparamsOf(
      await file('phi3', { extraMetadata: [at('phi3', 'attention.sliding_window', gguf.u32(8))] }),
    );
    expect(hp.slidingWindow).toBe(0);
    expect(hp.swaLayers.some((s) => s)).toBe(false);
  });

  it('a zero gemma2 soft-cap is refused as damage; another head size on sliding layers as not implemented', async () => {
    const cap = await file('gemma2', {
      extraMetadata: [at('gemma2', 'attn_logit_softcapping', gguf.f32(0))],
    });
    const e = errorOf(() => hparamsOf(cap));
    expect(e.code).toBe('gguf-invalid');
    expect(e.message).toContain('gemma2.attn_logit_softcapping');
    const swa = await file('gemma3', {
      extraMetadata: [at('gemma3', 'attention.key_length_swa', gguf.u32(8))],
    });
    expect(errorOf(() => hparamsOf(swa)).message).toContain('gemma3.attention.key_length_swa');
  });

  it('phi3 rotates part of each head; llama may not; nobody more than the head', async () => {
    expect(hparamsOf(await file('phi3', { ropeDims: 12 })).ropeDims).toBe(12);
    const tooMany = await file('phi3', { ropeDims: 20 });
    expect(errorOf(() => hparamsOf(tooMany)).code).toBe('gguf-invalid');
    const partLlama = await file('llama', { ropeDims: 12 });
    expect(errorOf(() => hparamsOf(partLlama)).message).toContain('llama.rope.dimension_count');
  });

  it("Phi-3's LongRoPE factors: long above the original context, short within it", async () => {
    const hp = hparamsOf(await file('phi3', { longRope: { originalContext: 64, attnFactor: 1.2 } }));
    expect([hp.ropeLongShortFactors, hp.ropeOrigContext, hp.ropeAttnFactor]).toEqual([
      true,
      64,
      Math.fround(1.2),
    ]);
    expect(ropeFactorsTensor(hp, 65)).toBe('rope_factors_long.weight');
    expect(ropeFactorsTensor(hp, 64)).toBe('rope_factors_short.weight');
    expect(ropeFactorsTensor(hparamsOf(await file('phi3')), 4096)).toBeUndefined();
  });
});
