import { isRuminateError, RuminateError } from '@ruminate/errors';
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../src/gguf/byte-writer.ts';
import { memorySource } from '../src/gguf/memory-source.ts';
import { gguf, metaNumber, metaNumbers, metaString, metaStrings } from '../src/gguf/metadata.ts';
import { parseGguf } from '../src/gguf/parse.ts';
import type { ByteSource, GgufValue } from '../src/gguf/types.ts';
import { writeGguf } from '../src/gguf/write.ts';

const metadata: [string, GgufValue][] = [
  ['general.architecture', gguf.str('llama')],
  ['general.name', gguf.str('tëst ✓ 🦙')],
  ['t.u8', gguf.u8(255)],
  ['t.i8', gguf.i8(-128)],
  ['t.u16', gguf.u16(65535)],
  ['t.i16', gguf.i16(-32768)],
  ['t.u32', gguf.u32(4294967295)],
  ['t.i32', gguf.i32(-2147483648)],
  ['t.f32', gguf.f32(1.5)],
  ['t.f64', gguf.f64(Math.PI)],
  ['t.u64', gguf.u64(2n ** 64n - 1n)],
  ['t.i64', gguf.i64(-(2n ** 63n))],
  ['t.bool', gguf.bool(true)],
  ['t.strings', gguf.strings(['a', '', 'ü', 'Ġhello'])],
  ['t.f32s', gguf.f32s([0.5, -2, 3.25])],
  ['t.i32s', gguf.i32s([1, -1, 7])],
  ['t.bools', gguf.array({ itemType: 'bool', values: [true, false] })],
  ['t.u64s', gguf.array({ itemType: 'u64', values: BigUint64Array.from([1n, 2n ** 63n]) })],
  [
    't.nested',
    gguf.array({
      itemType: 'array',
      values: [
        { itemType: 'string', values: ['x', 'y'] },
        { itemType: 'u8', values: Uint8Array.from([9]) },
      ],
    }),
  ],
];

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7) & 0xff;
  return out;
}

const tensors = [
  { name: 'token_embd.weight', type: 'f32' as const, dims: [5, 3], data: bytes(60, 1) },
  { name: 'blk.0.attn_q.weight', type: 'q8_0' as const, dims: [64, 2], data: bytes(136, 2) },
  { name: 'blk.0.ffn.weight', type: 'q4_k' as const, dims: [256], data: bytes(144, 3) },
  { name: 'scalar', type: 'f16' as const, dims: [], data: bytes(2, 4) },
];

/** A source that records every read, to check the parser never reads tensor data. */
function countingSource(b: Uint8Array): ByteSource & { reads: [number, number][] } {
  const reads: [number, number][] = [];
  return {
    size: b.length,
    reads,
    read: async (o, l) => {
      reads.push([o, l]);
      return b.slice(o, o + l);
    },
  };
}

async function parseError(b: Uint8Array): Promise<RuminateError> {
  try {
    await parseGguf(memorySource(b, 'x.gguf'), { chunkBytes: 64 });
  } catch (e) {
    if (isRuminateError(e)) return e;
    throw new Error(`expected a RuminateError, got ${String(e)}`);
  }
  throw new Error('expected the parse to fail');
}

/** Builds a header by hand: magic, version, counts, then whatever `body` writes. */
function craft(
  body: (w: ByteWriter) => void,
  opts: { version?: number; tensors?: bigint; kvs?: bigint } = {},
): Uint8Array {
  const w = new ByteWriter();
  w.bytes(new TextEncoder().encode('GGUF'));
  w.u32(opts.version ?? 3);
  w.u64(opts.tensors ?? 0n);
  w.u64(opts.kvs ?? 0n);
  body(w);
  w.bytes(new Uint8Array(256)); // slack, so a failure is the claim, not the end of the file
  return w.result().slice();
}

function str(w: ByteWriter, s: string): void {
  const b = new TextEncoder().encode(s);
  w.u64(BigInt(b.length));
  w.bytes(b);
}

describe('GGUF parse/write round trip', () => {
  it('reads back every value type, tensor and offset, incrementally in small chunks', async () => {
    const file = writeGguf(metadata, tensors, { alignment: 64 });
    const src = countingSource(file);
    const h = await parseGguf(src, { chunkBytes: 64 });
    expect(h.version).toBe(3);
    expect(h.alignment).toBe(64);
    expect(h.dataOffset % 64).toBe(0);
    for (const [k, v] of metadata) expect(h.metadata.get(k), k).toEqual(v);
    expect(h.metadata.get('general.alignment')).toEqual(gguf.u32(64));
    expect(metaString(h.metadata, 'general.name')).toBe('tëst ✓ 🦙');
    expect(metaNumber(h.metadata, 't.u32')).toBe(4294967295);
    expect(metaStrings(h.metadata, 't.strings')).toEqual(['a', '', 'ü', 'Ġhello']);
    expect(metaNumbers(h.metadata, 't.f32s')).toEqual([0.5, -2, 3.25]);
    expect(() => metaNumber(h.metadata, 't.u64')).toThrow(RuminateError);
    expect(h.tensors.map((t) => [t.name, t.type.name, t.dims, t.elements, t.bytes])).toEqual([
      ['token_embd.weight', 'f32', [5, 3], 15, 60],
      ['blk.0.attn_q.weight', 'q8_0', [64, 2], 128, 136],
      ['blk.0.ffn.weight', 'q4_k', [256], 256, 144],
      ['scalar', 'f16', [], 1, 2],
    ]);
    for (const [i, t] of h.tensors.entries()) {
      expect(t.offset % 64).toBe(0);
      expect(file.subarray(t.offset, t.offset + t.bytes)).toEqual(tensors[i]?.data);
    }
    // The header walk never reads into the tensor data.
    expect(Math.max(...src.reads.map(([o, l]) => o + l))).toBeLessThanOrEqual(h.dataOffset);
  });

  it('parses a file with no tensors and the default alignment', async () => {
    const file = writeGguf([['general.architecture', gguf.str('llama')]], []);
    const h = await parseGguf(memorySource(file));
    expect(h.tensors).toEqual([]);
    expect(h.alignment).toBe(32);
    expect(h.dataOffset).toBe(file.length);
  });
});

describe('GGUF hostile input', () => {
  const good = writeGguf(metadata, tensors);

  it('every truncation of a valid file is gguf-invalid and says truncated or past the end', async () => {
    const h = await parseGguf(memorySource(good));
    const end = Math.max(...h.tensors.map((t) => t.offset + t.bytes)); // the padding after it is optional
    for (let n = 0; n < end; n += n < 200 ? 1 : 7) {
      const e = await parseError(good.subarray(0, n));
      expect(e.code, `prefix ${n}`).toBe('gguf-invalid');
      expect(e.message, `prefix ${n}`).toMatch(/truncated|past the end|only \d+ (bytes )?remain/);
    }
  });

  it('wrong magic', async () => {
    const b = good.slice();
    b.set([0x67, 0x67, 0x6a, 0x74], 0);
    const e = await parseError(b);
    expect(e.code).toBe('gguf-invalid');
    expect(e.message).toMatch(/not a GGUF file/);
  });

  it('unknown, old and big-endian versions are gguf-unsupported', async () => {
    for (const [version, re] of [
      [1, /version 1/],
      [4, /unknown GGUF version 4/],
      [0x03000000, /big-endian/],
    ] as const) {
      const e = await parseError(craft(() => {}, { version }));
      expect(e.code).toBe('gguf-unsupported');
      expect(e.message).toMatch(re);
    }
  });

  it('a metadata string claiming 2^60 bytes', async () => {
    const e = await parseError(
      craft(
        (w) => {
          str(w, 'general.name');
          w.u32(8);
          w.u64(2n ** 60n);
        },
        { kvs: 1n },
      ),
    );
    expect(e.code).toBe('gguf-invalid');
    expect(e.message).toMatch(/metadata 'general.name' at byte \d+ claims 1152921504606846976 bytes/);
  });

  it('a metadata key claiming 2^60 bytes, and arrays claiming 2^60 elements', async () => {
    expect((await parseError(craft((w) => w.u64(2n ** 60n), { kvs: 1n }))).message).toMatch(/metadata key 0/);
    for (const itemType of [0, 6, 8, 9]) {
      const e = await parseError(
        craft(
          (w) => {
            str(w, 'a.b');
            w.u32(9);
            w.u32(itemType);
            w.u64(2n ** 60n);
          },
          { kvs: 1n },
        ),
      );
      expect(e.code).toBe('gguf-invalid');
      expect(e.message).toMatch(/claims 1152921504606846976 entries/);
    }
  });

  it('tensor and metadata counts claiming 2^60 entries', async () => {
    expect((await parseError(craft(() => {}, { tensors: 2n ** 60n }))).message).toMatch(
      /tensor_count claims/,
    );
    expect((await parseError(craft(() => {}, { kvs: 2n ** 64n - 1n }))).message).toMatch(
      /metadata_kv_count claims/,
    );
  });

  it('unknown value type, bad bool, duplicate key', async () => {
    expect(
      (
        await parseError(
          craft(
            (w) => {
              str(w, 'a');
              w.u32(13);
            },
            { kvs: 1n },
          ),
        )
      ).message,
    ).toMatch(/value type 13/);
    expect(
      (
        await parseError(
          craft(
            (w) => {
              str(w, 'a');
              w.u32(7);
              w.u8(2);
            },
            { kvs: 1n },
          ),
        )
      ).message,
    ).toMatch(/bool stored as 2/);
    const dup = craft(
      (w) => {
        str(w, 'a');
        w.u32(4);
        w.u32(1);
        str(w, 'a');
        w.u32(4);
        w.u32(2);
      },
      { kvs: 2n },
    );
    expect((await parseError(dup)).message).toMatch(/'a' appears twice/);
  });

  function tensorInfo(w: ByteWriter, name: string, dims: bigint[], type: number, offset: bigint): void {
    str(w, name);
    w.u32(dims.length);
    for (const d of dims) w.u64(d);
    w.u32(type);
    w.u64(offset);
  }

  it('unknown tensor types are gguf-unsupported and name the type', async () => {
    const iq = await parseError(craft((w) => tensorInfo(w, 'w', [256n], 16, 0n), { tensors: 1n }));
    expect(iq.code).toBe('gguf-unsupported');
    expect(iq.message).toMatch(/'w' has type iq2_xxs/);
    const unknown = await parseError(craft((w) => tensorInfo(w, 'w', [4n], 99, 0n), { tensors: 1n }));
    expect(unknown.code).toBe('gguf-unsupported');
    expect(unknown.message).toMatch(/type id 99/);
  });

  it('absurd dimensions (2^40 elements), too many dims, partial blocks', async () => {
    const huge = await parseError(
      craft((w) => tensorInfo(w, 'w', [2n ** 20n, 2n ** 20n], 0, 0n), { tensors: 1n }),
    );
    expect(huge.message).toMatch(/'w' claims dims \[1048576, 1048576\] \(1099511627776 f32 elements/);
    const overflow = await parseError(
      craft((w) => tensorInfo(w, 'w', [0n, 2n ** 64n - 1n], 0, 0n), { tensors: 1n }),
    );
    expect(overflow.code).toBe('gguf-invalid');
    const five = await parseError(
      craft((w) => tensorInfo(w, 'w', [1n, 1n, 1n, 1n, 1n], 0, 0n), { tensors: 1n }),
    );
    expect(five.message).toMatch(/5 dimensions/);
    const partial = await parseError(craft((w) => tensorInfo(w, 'w', [33n], 8, 0n), { tensors: 1n }));
    expect(partial.message).toMatch(/not a multiple of q8_0's block size 32/);
  });

  it('offsets past the end, misaligned offsets, duplicate tensor names, bad alignment', async () => {
    const past = await parseError(craft((w) => tensorInfo(w, 'w', [8n], 0, 2n ** 40n), { tensors: 1n }));
    expect(past.message).toMatch(/'w' .* past the end of the file/);
    const mis = await parseError(craft((w) => tensorInfo(w, 'w', [8n], 0, 4n), { tensors: 1n }));
    expect(mis.message).toMatch(/not a multiple of the alignment 32/);
    const dup = await parseError(
      craft(
        (w) => {
          tensorInfo(w, 'w', [8n], 0, 0n);
          tensorInfo(w, 'w', [8n], 0, 32n);
        },
        { tensors: 2n },
      ),
    );
    expect(dup.message).toMatch(/tensor name 'w' appears twice/);
    const align = await parseError(
      craft(
        (w) => {
          str(w, 'general.alignment');
          w.u32(4);
          w.u32(48);
        },
        { kvs: 1n },
      ),
    );
    expect(align.message).toMatch(/power-of-two/);
    const longName = await parseError(
      craft((w) => tensorInfo(w, 'n'.repeat(64), [8n], 0, 0n), { tensors: 1n }),
    );
    expect(longName.message).toMatch(/over the 63-byte limit/);
  });
});
