import { isRuminateError } from '@ruminate/errors';
import { describe, expect, it } from 'vitest';
import { makeModelGguf } from '../../../tools/fixtures/model-gguf.ts';
import { memorySource } from '../src/gguf/memory-source.ts';
import { parseGguf } from '../src/gguf/parse.ts';
import { checkModelFit, kvBytesPerToken, WASM_DEVICE_BUDGET } from '../src/loading/model-fit.ts';

// 3 layers, 2 KV heads of dim 32 (head_count 4, embedding 128): K+V per token per layer =
// 2 × 2 × 32 elements.
const file = makeModelGguf({
  arch: 'llama',
  seed: 3,
  nLayers: 3,
  nEmbd: 128,
  nHeads: 4,
  nKvHeads: 2,
  nFf: 256,
});
const big = { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 27 };

describe('model fit from the header', () => {
  it('computes weights and KV bytes from the header alone', async () => {
    const h = await parseGguf(memorySource(file));
    expect(kvBytesPerToken(h.metadata, 4)).toBe(3 * 2 * 2 * 32 * 4);
    expect(kvBytesPerToken(h.metadata, 2)).toBe(3 * 2 * 2 * 32 * 2);
    const r = checkModelFit(h, { contextLength: 1000 }, big);
    const weights = h.tensors.reduce((a, t) => a + t.bytes, 0);
    expect(r.weightBytes).toBe(weights);
    expect(r.kvBytes).toBe(1000 * 3 * 2 * 2 * 32 * 4);
    expect(r.totalBytes).toBeCloseTo((weights + r.kvBytes) * 1.15, 6);
  });

  it('too little memory for the context says the largest context that fits, and that context fits', async () => {
    const h = await parseGguf(memorySource(file));
    const weights = h.tensors.reduce((a, t) => a + t.bytes, 0);
    const memoryBytes = (weights + 500 * kvBytesPerToken(h.metadata)) * 1.15 + 10;
    const e = (() => {
      try {
        checkModelFit(h, { contextLength: 4096 }, { ...big, memoryBytes });
      } catch (x) {
        return x;
      }
    })();
    expect(isRuminateError(e, 'model-too-large')).toBe(true);
    expect((e as Error).message).toMatch(/largest context that fits is 500 tokens/);
    expect(checkModelFit(h, { contextLength: 500 }, { ...big, memoryBytes }).maxContextLength).toBe(500);
  });

  it('weights over the memory budget, and a row over the binding limit, are model-too-large', async () => {
    const h = await parseGguf(memorySource(file));
    expect(() => checkModelFit(h, { contextLength: 16 }, { ...big, memoryBytes: 1000 })).toThrow(
      /weights alone need/,
    );
    expect(() =>
      checkModelFit(h, { contextLength: 16 }, { ...big, maxStorageBufferBindingSize: 256 }),
    ).toThrow(/storage-binding limit/);
  });

  it('on the CPU backend, a model over 32-bit WebAssembly memory is refused from its header, with the numbers', async () => {
    const h = await parseGguf(memorySource(file));
    // The same header with a 5 GiB weight (nothing is read: the check sees sizes only).
    const huge = {
      ...h,
      tensors: [...h.tensors, { ...h.tensors[0]!, name: 'blk.9.huge', bytes: 5 * 2 ** 30 }],
    };
    expect(() => checkModelFit(huge, { contextLength: 16 }, WASM_DEVICE_BUDGET)).toThrow(
      /weights alone need 5\d{3}\.\d MiB .* 4096\.0 MiB of WebAssembly memory/,
    );
    expect(checkModelFit(h, { contextLength: 16 }, WASM_DEVICE_BUDGET).totalBytes).toBeLessThan(2 ** 32);
  });
});
