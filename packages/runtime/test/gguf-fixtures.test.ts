import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  STANDARD_FIXTURES,
  type StandardFixture,
  standardFixture,
} from '../../../tools/fixtures/standard-fixtures.ts';
import { memorySource } from '../src/gguf/memory-source.ts';
import { metaNumber, metaString, metaStrings } from '../src/gguf/metadata.ts';
import { parseGguf } from '../src/gguf/parse.ts';

// Every standard fixture parses, and holds the tensors and hyperparameters llama.cpp needs
// for its architecture (names from llama.cpp src/llama-arch.cpp).
describe('standard GGUF fixtures', () => {
  for (const name of Object.keys(STANDARD_FIXTURES) as StandardFixture[]) {
    it(name, async () => {
      const recipe = STANDARD_FIXTURES[name];
      const h = await parseGguf(memorySource(await readFile(await standardFixture(name)), name));
      const arch = recipe.arch === 'mixtral' ? 'llama' : recipe.arch;
      expect(metaString(h.metadata, 'general.architecture')).toBe(arch);
      const nVocab = metaStrings(h.metadata, 'tokenizer.ggml.tokens')?.length;
      expect(metaNumber(h.metadata, `${arch}.vocab_size`)).toBe(nVocab);
      const names = new Set(h.tensors.map((t) => t.name));
      const byName = new Map(h.tensors.map((t) => [t.name, t]));
      expect(byName.get('token_embd.weight')?.dims).toEqual([recipe.nEmbd, nVocab]);
      const a = recipe.arch;
      const gemma = a === 'gemma2' || a === 'gemma3';
      expect(names.has('output.weight')).toBe(a !== 'qwen2' && !gemma);
      expect(names.has('blk.1.attn_q.bias')).toBe(a === 'qwen2' || a === 'qwen2moe');
      expect(names.has('blk.1.attn_q_norm.weight')).toBe(a === 'qwen3' || a === 'gemma3');
      expect(names.has('blk.1.post_attention_norm.weight')).toBe(gemma);
      expect(names.has('blk.1.post_ffw_norm.weight')).toBe(gemma);
      const moe = a === 'mixtral' || a === 'qwen2moe';
      expect(names.has('blk.1.ffn_gate_exps.weight')).toBe(moe);
      expect(names.has('blk.1.ffn_gate.weight')).toBe(!moe && a !== 'phi3');
      expect(names.has('blk.1.ffn_gate_inp_shexp.weight')).toBe(a === 'qwen2moe');
      expect(names.has('rope_factors_long.weight')).toBe(a === 'phi3');
      if (moe) {
        expect(metaNumber(h.metadata, `${arch}.expert_count`)).toBe(4);
        expect(byName.get('blk.0.ffn_down_exps.weight')?.dims).toEqual([
          'nFfExp' in recipe ? recipe.nFfExp : recipe.nFf,
          recipe.nEmbd,
          4,
        ]);
      }
      const headDim = 'headDim' in recipe ? recipe.headDim : 128;
      if (a === 'phi3') {
        // Phi-3: q|k|v in one tensor, gate|up in ffn_up.
        expect(byName.get('blk.0.attn_qkv.weight')?.dims).toEqual([recipe.nEmbd, recipe.nEmbd + 2 * 128]);
        expect(byName.get('blk.0.ffn_up.weight')?.dims).toEqual([recipe.nEmbd, 2 * recipe.nFf]);
        expect(byName.get('blk.0.attn_qkv.weight')?.type.name).toBe(recipe.weightType);
      } else {
        expect(byName.get('blk.0.attn_k.weight')?.dims).toEqual([recipe.nEmbd, headDim * recipe.nKvHeads]);
        expect(byName.get('blk.0.attn_q.weight')?.type.name).toBe(recipe.weightType);
      }
      expect(byName.get('blk.0.attn_norm.weight')?.type.name).toBe('f32');
    });
  }
});
