// The gating of SwiGLU and GeGLU (Shazeer 2020, "GLU Variants Improve Transformer"; llama.cpp's
// ggml_swiglu_split and ggml_geglu_split): out = act(gate) ⊙ up, with silu(g) = g / (1 + e^−g)
// or GELU's tanh approximation written as g / (1 + e^(−2u)), u = √(2/π)·g·(1 + 0.044715·g²).
// GELU follows ggml's CPU backend, which looks gelu up in a table of f16 values indexed by g
// rounded to f16 for |g| < 10 (ggml-cpu/vec.h, GGML_GELU_FP16): there g and the result are
// rounded to f16's 11-bit significand (Veltkamp's split, ties not always to even). gate and up
// may be the two halves of one fused gate+up row.
import type { FunctionBuilder, Local, ModuleBuilder } from '../../encoder/index.ts';
import type { KernelExport } from '../math/kernel-export.ts';
import { kernelParams, paramsByName } from '../math/kernel-params.ts';
import { emitShare } from '../thread-share.ts';
import { blocksOf, emitColumnBlock } from './column-blocks.ts';
import { emitAt, emitSpan, type Width } from './span.ts';

/** Shape constants of a SiLU-mul (or GELU-mul) kernel. */
export interface SiluMulSpec {
  /** Floats per row of the output (the feed-forward width). */
  ff: number;
  /** The gate's activation (default `silu`). */
  act?: 'silu' | 'gelu';
  /** Export name (default `silu_mul_<ff>` or `gelu_mul_<ff>`). */
  name?: string;
}

/** 2·√(2/π) and 2·√(2/π)·0.044715: −2u = −g·(A + B·g²). */
const GELU_A = 2 * Math.sqrt(2 / Math.PI);
const GELU_B = GELU_A * 0.044715;
/** Veltkamp's constant 2^13 + 1: rounds an f32 to 24 − 13 = 11 significant bits, f16's. */
const SPLIT = 8193;

/**
 * Pops v and pushes it rounded to f16 precision: 11 significant bits (t = v·8193; t − (t − v)),
 * or below f16's smallest normal 2^−14 to a multiple of 2^−24, f16's subnormal step ((v + ¾) − ¾:
 * ¾'s f32 ulp is 2^−24). `v` and `t` are scratch.
 */
function emitRoundF16(b: FunctionBuilder, w: Width, v: Local, t: Local): void {
  const vec = w.n === 4;
  b.set(v);
  b.get(v);
  w.konst(b, SPLIT);
  b.op(w.mul).tee(t).get(t).get(v).op(w.sub).op(w.sub);
  b.get(v);
  w.konst(b, 0.75);
  b.op(w.add);
  w.konst(b, 0.75);
  b.op(w.sub);
  b.get(v).op(vec ? 'f32x4.abs' : 'f32.abs');
  w.konst(b, 2 ** -14);
  b.op(vec ? 'f32x4.ge' : 'f32.ge');
  if (vec) b.op('v128.bitselect');
  else b.select();
}

/** Pops nothing; pushes gelu(g) as ggml's CPU table gives it, for g in local `g` (width w). */
function emitGelu(b: FunctionBuilder, w: Width, g: Local): void {
  const vec = w.n === 4;
  const v = b.local(vec ? 'v128' : 'f32');
  const t = b.local(vec ? 'v128' : 'f32');
  const x = b.local(vec ? 'v128' : 'f32');
  const inTable = b.local(vec ? 'v128' : 'i32');
  /** Pushes `a` where |g| < 10, else `c` (both pushed by the callbacks). */
  const choose = (a: () => void, c: () => void) => {
    a();
    c();
    b.get(inTable);
    if (vec) b.op('v128.bitselect');
    else b.select();
  };
  b.get(g).op(vec ? 'f32x4.abs' : 'f32.abs');
  w.konst(b, 10);
  b.op(vec ? 'f32x4.lt' : 'f32.lt').set(inTable);
  choose(
    () => {
      b.get(g);
      emitRoundF16(b, w, v, t);
    },
    () => b.get(g),
  );
  b.tee(x);
  // x / (1 + e^(−x·(A + B·x²)))
  b.get(x);
  b.get(x).get(x).op(w.mul);
  w.konst(b, GELU_B);
  b.op(w.mul);
  w.konst(b, GELU_A);
  b.op(w.add)
    .op(w.mul)
    .op(vec ? 'f32x4.neg' : 'f32.neg');
  w.exp(b);
  w.konst(b, 1);
  b.op(w.add).op(w.div).set(x);
  choose(
    () => {
      b.get(x);
      emitRoundF16(b, w, v, t);
    },
    () => b.get(x),
  );
}

/**
 * Emits `name(gate, up, ldx, out, ldo, rows, thread, threads)`: out[r·ldo + j] =
 * act(gate[r·ldx + j]) · up[r·ldx + j] for j < ff (byte offsets; strides in floats; for a
 * fused row pass up = gate + 4·ff). out may equal gate. Split over (row, block of 256 columns).
 */
export function emitSiluMul(mod: ModuleBuilder, spec: SiluMulSpec): KernelExport {
  const { ff } = spec;
  const act = spec.act ?? 'silu';
  const name = spec.name ?? `${act}_mul_${ff}`;
  const args = ['gate', 'up', 'ldx', 'out', 'ldo', 'rows'] as const;
  mod.func(name, kernelParams(args), [], (b) => {
    const p = paramsByName(b, args);
    const u = b.local('i32', 'u');
    const end = b.local('i32', 'end');
    const units = b.local('i32', 'units');
    const row = b.local('i32', 'row');
    const first = b.local('i32', 'first');
    const last = b.local('i32', 'last');
    const at = b.local('i32', 'at');
    const gp = b.local('i32', 'gp');
    const upp = b.local('i32', 'upp');
    const op = b.local('i32', 'op');
    b.get(p.rows).i32(blocksOf(ff)).op('i32.mul').set(units);
    emitShare(b, units, p.thread, p.threads, u, end);
    b.range(u, u, end, 1, () => {
      emitColumnBlock(b, u, ff, row, first, last);
      for (const [base, ld, into] of [
        [p.gate, p.ldx, gp],
        [p.up, p.ldx, upp],
        [p.out, p.ldo, op],
      ] as const) {
        b.get(base).get(row).get(ld).op('i32.mul').i32(2).op('i32.shl').op('i32.add').set(into);
      }
      emitSpan(b, at, first, last, (w) => {
        emitAt(b, op, at);
        emitAt(b, gp, at);
        b.op(w.load, 0, 2);
        const g = w.n === 4 ? b.local('v128') : b.local('f32');
        if (act === 'gelu') {
          b.set(g);
          emitGelu(b, w, g);
        } else {
          b.tee(g).get(g);
          if (w.n === 4) b.op('f32x4.neg');
          else b.op('f32.neg');
          w.exp(b);
          w.konst(b, 1);
          b.op(w.add).op(w.div);
        }
        emitAt(b, upp, at);
        b.op(w.load, 0, 2).op(w.mul).op(w.store, 0, 2);
      });
    });
  });
  return { name, args };
}
