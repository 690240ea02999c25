// The encoder: modules it writes validate and compute what they say, the operand-stack checks
// reject wrong programs with the instruction's name, and the disassembly reads them back.
import { describe, expect, it } from 'vitest';
import { disassemble, EncodeError, ModuleBuilder } from '../src/encoder/index.ts';
import { readSleb, readUleb, sleb, uleb } from '../src/encoder/leb128.ts';

describe('LEB128', () => {
  it('round-trips unsigned and signed values at the byte boundaries', () => {
    for (const v of [0, 1, 63, 64, 127, 128, 255, 16383, 16384, 2 ** 31 - 1, 2 ** 32 - 1]) {
      expect(readUleb(Uint8Array.from(uleb(v)), 0)[0]).toBe(v);
    }
    for (const v of [0, 1, -1, 63, -64, 64, -65, 8191, -8192, 2 ** 31 - 1, -(2 ** 31)]) {
      expect(readSleb(Uint8Array.from(sleb(v)), 0)[0]).toBe(v);
    }
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]); // the spec's example
  });
});

/** sum(i < n) a[i]·b[i] over f32 arrays, 4 lanes at a time (n a multiple of 4). */
function dotModule(): ModuleBuilder {
  const m = new ModuleBuilder().importMemory({ initial: 1 });
  m.func(
    'dot',
    [
      ['a', 'i32'],
      ['b', 'i32'],
      ['n', 'i32'],
    ],
    ['f32'],
    (b) => {
      const [a, bb, n] = b.params as [never, never, never];
      const i = b.local('i32', 'i');
      const acc = b.local('v128', 'acc');
      b.range(i, 0, n, 4, () => {
        b.get(acc);
        b.get(a).get(i).i32(4).op('i32.mul').op('i32.add').op('v128.load');
        b.get(bb).get(i).i32(4).op('i32.mul').op('i32.add').op('v128.load');
        b.op('f32x4.mul').op('f32x4.add').set(acc);
      });
      b.get(acc).op('f32x4.extract_lane', 0);
      for (const lane of [1, 2, 3]) b.get(acc).op('f32x4.extract_lane', lane).op('f32.add');
    },
  );
  return m;
}

describe('ModuleBuilder', () => {
  it('writes a SIMD module that validates and computes a dot product', async () => {
    const bytes = dotModule().encode();
    expect(WebAssembly.validate(bytes)).toBe(true);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const { instance } = await WebAssembly.instantiate(bytes, { env: { memory } });
    const f = new Float32Array(memory.buffer);
    const n = 36;
    let want = 0;
    for (let i = 0; i < n; i++) {
      f[i] = Math.fround(Math.random() - 0.5);
      f[64 + i] = Math.fround(Math.random() - 0.5);
      want += (f[i] as number) * (f[64 + i] as number);
    }
    const dot = instance.exports.dot as (a: number, b: number, n: number) => number;
    expect(dot(0, 256, n)).toBeCloseTo(want, 5); // f32 accumulation of 36 terms
  });

  it('rejects a wrong operand type, naming the instruction', () => {
    const m = new ModuleBuilder();
    expect(() =>
      m.func('bad', [], ['i32'], (b) => {
        b.f32(1).i32(2).op('i32.add');
      }),
    ).toThrow(/bad: i32.add expects i32, found f32/);
    expect(() => m.func('short', [], ['i32'], (b) => void b.op('i32.add'))).toThrow(EncodeError);
  });

  it('rejects a function whose stack does not match its results at the end', () => {
    const m = new ModuleBuilder();
    m.func('leftover', [], [], (b) => void b.i32(1));
    expect(() => m.encode()).toThrow(/leftover: function ends with \[i32\]/);
  });

  it('branches: br_if out of a block, results through if/else', async () => {
    const m = new ModuleBuilder();
    m.func('clamp', [['x', 'i32']], ['i32'], (b) => {
      const [x] = b.params as [never];
      b.get(x).i32(10).op('i32.gt_s');
      b.if(
        () => void b.i32(10),
        () => void b.get(x),
        'i32',
      );
    });
    const { instance } = await WebAssembly.instantiate(m.encode());
    const clamp = instance.exports.clamp as (x: number) => number;
    expect([clamp(3), clamp(10), clamp(11), clamp(-5)]).toEqual([3, 10, 10, -5]);
  });

  it('disassembles what it encoded', () => {
    const text = disassemble(dotModule().encode());
    expect(text).toContain('(func dot');
    expect(text).toContain('f32x4.mul');
    expect(text).toContain('v128.load');
    expect(text).toContain('f32x4.extract_lane 3');
    expect(text).toMatch(/loop\n\s+local.get 3/);
  });

  it('shared memory imports carry a maximum', () => {
    expect(() => new ModuleBuilder().importMemory({ initial: 1, shared: true })).toThrow(/maximum/);
    const m = new ModuleBuilder().importMemory({ initial: 1, maximum: 2, shared: true });
    m.func('size', [], ['i32'], (b) => void b.op('memory.size'));
    expect(WebAssembly.validate(m.encode())).toBe(true);
  });
});
