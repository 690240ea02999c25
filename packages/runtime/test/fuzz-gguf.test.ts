import { isRuminateError } from '@ruminate/errors';
import { freshSeed, seededRandom } from '@ruminate/gpu/testing';
import { describe, expect, it } from 'vitest';
import { makeModelGguf } from '../../../tools/fixtures/model-gguf.ts';
import { gguf } from '../src/gguf/metadata.ts';
import { parseGguf } from '../src/gguf/parse.ts';
import type { ByteSource, GgufArrayValues, GgufHeader } from '../src/gguf/types.ts';
import { writeGguf } from '../src/gguf/write.ts';

// Seeded mutations of valid GGUF files: byte flips, truncations, length/count/dim/type/offset
// fields set to huge or off-by-one values, and duplicated names. Each case must parse or
// throw a RuminateError; the parser never reads a byte twice or past the end, and whatever
// it returns holds no more array data than the file has bytes. There is no timer: the
// per-case bound comes from the parser's own checks (every loop consumes file bytes).

/** Where the mutable fields of a valid file are, found by walking it. */
interface Fields {
  u64: number[]; // string lengths, array lengths, counts, dims, tensor offsets
  u32: number[]; // value types, array item types, n_dims, tensor types, version
  names: { at: number; len: number }[]; // tensor names and metadata keys (string bytes)
  headerEnd: number;
}

function locate(file: Uint8Array): Fields {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const f: Fields = { u64: [8, 16], u32: [4], names: [], headerEnd: 0 };
  let p = 24;
  const u32 = () => {
    f.u32.push(p);
    p += 4;
    return v.getUint32(p - 4, true);
  };
  const u64 = () => {
    f.u64.push(p);
    p += 8;
    return Number(v.getBigUint64(p - 8, true));
  };
  const str = (name = false) => {
    const n = u64();
    if (name) f.names.push({ at: p, len: n });
    p += n;
  };
  const sizes = [1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8];
  const value = (t: number): void => {
    if (t === 8) {
      str();
    } else if (t === 9) {
      const it = u32();
      const n = u64();
      for (let i = 0; i < n; i++) value(it);
    } else {
      p += sizes[t] as number;
    }
  };
  const nt = Number(v.getBigUint64(8, true));
  const nkv = Number(v.getBigUint64(16, true));
  for (let i = 0; i < nkv; i++) {
    str(true);
    value(u32());
  }
  for (let i = 0; i < nt; i++) {
    str(true);
    const nd = u32();
    for (let d = 0; d < nd; d++) u64();
    u32();
    u64();
  }
  f.headerEnd = p;
  return f;
}

const HUGE = [2n ** 60n, 2n ** 64n - 1n, 2n ** 63n, 2n ** 40n, 2n ** 32n, 2n ** 31n, 2n ** 53n + 1n];

function mutate(base: Uint8Array, fields: Fields, rand: () => number): { bytes: Uint8Array; what: string } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const b = base.slice();
  const v = new DataView(b.buffer);
  const kind = Math.floor(rand() * 6);
  switch (kind) {
    case 0: {
      const n = 1 + Math.floor(rand() * 8);
      const span = rand() < 0.8 ? fields.headerEnd : b.length;
      for (let i = 0; i < n; i++) b[Math.floor(rand() * span)] = Math.floor(rand() * 256);
      return { bytes: b, what: `${n} byte flips` };
    }
    case 1: {
      const n = Math.floor(rand() * (rand() < 0.8 ? fields.headerEnd + 64 : b.length));
      return { bytes: b.subarray(0, n), what: `truncated to ${n}` };
    }
    case 2: {
      const at = pick(fields.u64);
      const r = rand();
      const val =
        r < 0.6
          ? pick(HUGE)
          : r < 0.8
            ? v.getBigUint64(at, true) + 1n
            : BigInt(Math.floor(rand() * b.length));
      v.setBigUint64(at, val, true);
      return { bytes: b, what: `u64 at ${at} = ${val}` };
    }
    case 3: {
      const at = pick(fields.u32);
      const val = pick([
        0xffffffff,
        0x80000000,
        13,
        9,
        8,
        5,
        16,
        31,
        39,
        40,
        0,
        1,
        2,
        4,
        v.getUint32(at, true) + 1,
      ]);
      v.setUint32(at, val >>> 0, true);
      return { bytes: b, what: `u32 at ${at} = ${val}` };
    }
    case 4: {
      const a = pick(fields.names);
      const same = fields.names.filter((n) => n.len === a.len && n.at !== a.at);
      if (same.length === 0) return { bytes: b, what: 'unchanged' };
      const dst = pick(same);
      b.copyWithin(dst.at, a.at, a.at + a.len);
      return { bytes: b, what: `name at ${a.at} copied over ${dst.at}` };
    }
    default: {
      // Several field mutations at once.
      let what = '';
      for (let i = 0; i < 3; i++) {
        const at = pick(fields.u64);
        const val = pick(HUGE) >> BigInt(Math.floor(rand() * 40));
        v.setBigUint64(at, val, true);
        what += `u64@${at}=${val} `;
      }
      return { bytes: b, what };
    }
  }
}

function arrayBytes(a: GgufArrayValues): number {
  if (a.itemType === 'string') return a.values.reduce((s, x) => s + 8 + x.length, 0);
  if (a.itemType === 'array') return a.values.reduce((s, x) => s + 12 + arrayBytes(x), 0);
  return a.values.length;
}

/** Bytes of array data a header holds (element counts; each element took ≥ 1 file byte). */
function heldBytes(h: GgufHeader): number {
  let s = 0;
  for (const v of h.metadata.values()) if (v.type === 'array') s += arrayBytes(v);
  return s;
}

function bases(): Uint8Array[] {
  const small = writeGguf(
    [
      ['general.architecture', gguf.str('llama')],
      ['a.u8', gguf.u8(1)],
      ['a.i16', gguf.i16(-2)],
      ['a.u32', gguf.u32(3)],
      ['a.f64', gguf.f64(0.25)],
      ['a.u64', gguf.u64(5n)],
      ['a.bool', gguf.bool(true)],
      ['a.strs', gguf.strings(['x', 'yy', 'zzz'])],
      ['a.f32s', gguf.f32s([1, 2, 3, 4])],
      [
        'a.nested',
        gguf.array({ itemType: 'array', values: [{ itemType: 'i32', values: Int32Array.from([7, 8]) }] }),
      ],
    ],
    [
      { name: 'blk.0.w', type: 'f32', dims: [4, 2], data: new Uint8Array(32) },
      { name: 'blk.1.w', type: 'q8_0', dims: [32], data: new Uint8Array(34) },
      { name: 'blk.2.w', type: 'q4_k', dims: [256, 1, 1, 1], data: new Uint8Array(144) },
    ],
  );
  const model = makeModelGguf({
    arch: 'qwen2moe',
    seed: 1,
    nLayers: 1,
    nEmbd: 32,
    nHeads: 2,
    nKvHeads: 1,
    nFf: 32,
  });
  const q8 = makeModelGguf({ arch: 'llama', seed: 2, weightType: 'q8_0', nLayers: 2, nEmbd: 32, nFf: 64 });
  return [small, model, q8];
}

describe('GGUF parser fuzz', () => {
  it('2,400 seeded mutations: each parses or throws a RuminateError, within the file', async () => {
    const seed = freshSeed();
    const rand = seededRandom(seed);
    const files = bases().map((b) => ({ b, fields: locate(b) }));
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 2400; i++) {
      const { b, fields } = files[i % files.length] as (typeof files)[number];
      const { bytes, what } = mutate(b, fields, rand);
      let read = 0;
      let pastEnd = false;
      const src: ByteSource = {
        size: bytes.length,
        read: async (o, l) => {
          read += l;
          if (o + l > bytes.length) pastEnd = true;
          return bytes.subarray(o, o + l);
        },
      };
      const label = `seed ${seed} (RUMINATE_TEST_SEED to replay), case ${i}: ${what}`;
      try {
        const h = await parseGguf(src, { chunkBytes: 256 + (i % 7) * 1000 });
        expect(heldBytes(h), label).toBeLessThanOrEqual(bytes.length);
        for (const t of h.tensors) expect(t.offset + t.bytes, label).toBeLessThanOrEqual(bytes.length);
        outcomes.set('parsed', (outcomes.get('parsed') ?? 0) + 1);
      } catch (e) {
        if (!isRuminateError(e))
          throw new Error(`${label}: threw a non-Ruminate error: ${String(e)}`, { cause: e });
        expect(['gguf-invalid', 'gguf-unsupported'], label).toContain(e.code);
        outcomes.set(e.code, (outcomes.get(e.code) ?? 0) + 1);
      }
      expect(pastEnd, label).toBe(false);
      expect(read, `${label}: read ${read} bytes of a ${bytes.length}-byte file`).toBeLessThanOrEqual(
        bytes.length,
      );
    }
    // The mutations must exercise both outcomes, or the test checks nothing.
    expect(outcomes.get('parsed') ?? 0).toBeGreaterThan(50);
    expect(outcomes.get('gguf-invalid') ?? 0).toBeGreaterThan(500);
  }, 120_000); // a harness limit for a loaded 2-core CI machine, not a speed assertion
});
