// e^x in f32, four lanes at a time: Cody–Waite range reduction x = n·ln2 + r (|r| ≤ ln2/2, ln2
// split in a 9-bit high part and a low part so that n·ln2_hi is exact), Cephes' degree-7
// polynomial for e^r (S. L. Moshier, Cephes Math Library, expf.c), and 2^n built in the exponent
// bits in two halves 2^⌊n/2⌋·2^(n−⌊n/2⌋) so that both factors stay normal for n in [−150, 128]:
// results near FLT_MAX and the subnormal results down to 2^−149 come out right. Inputs are
// clamped to [−104, 88.8] first: −inf and anything below give 0, +inf and anything above give
// +inf, NaN stays NaN. Measured max relative error ≤ 3e-7 on normal results (see exp.test.ts).
import type { FunctionBuilder, Local, ModuleBuilder } from '../../encoder/index.ts';
import { emitShare } from '../thread-share.ts';
import type { KernelExport } from './kernel-export.ts';
import { kernelParams, paramsByName } from './kernel-params.ts';

const LOG2E = Math.LOG2E;
const LN2_HI = 0.693359375;
const LN2_LO = -2.1219444e-4;
const X_MIN = -104;
const X_MAX = 88.8;
/** Cephes expf coefficients, highest degree first: e^r ≈ 1 + r + r²·P(r). */
const P = [
  1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1,
];

interface ExpLocals {
  x: Local;
  n: Local;
  r: Local;
  ni: Local;
  half: Local;
}

const scratch = new WeakMap<FunctionBuilder, ExpLocals>();

function localsOf(b: FunctionBuilder): ExpLocals {
  let s = scratch.get(b);
  if (!s) {
    s = {
      x: b.local('v128', 'exp_x'),
      n: b.local('v128', 'exp_n'),
      r: b.local('v128', 'exp_r'),
      ni: b.local('v128', 'exp_ni'),
      half: b.local('v128', 'exp_half'),
    };
    scratch.set(b, s);
  }
  return s;
}

/** Pops an f32x4 x and pushes e^x lane by lane. */
export function emitExpF32x4(b: FunctionBuilder): void {
  const { x, n, r, ni, half } = localsOf(b);
  b.splat('f32', X_MIN).op('f32x4.max').splat('f32', X_MAX).op('f32x4.min').tee(x);
  b.splat('f32', LOG2E).op('f32x4.mul').op('f32x4.nearest').tee(n);
  b.op('i32x4.trunc_sat_f32x4_s').set(ni);
  b.get(x).get(n).splat('f32', LN2_HI).op('f32x4.mul').op('f32x4.sub');
  b.get(n).splat('f32', LN2_LO).op('f32x4.mul').op('f32x4.sub').set(r);
  // Horner: P(r), then 1 + r + r²·P(r).
  b.splat('f32', P[0] as number);
  for (const c of P.slice(1)) b.get(r).op('f32x4.mul').splat('f32', c).op('f32x4.add');
  b.get(r).get(r).op('f32x4.mul').op('f32x4.mul').get(r).op('f32x4.add').splat('f32', 1).op('f32x4.add');
  // · 2^(n>>1) · 2^(n − (n>>1)), each built as (k + 127) << 23.
  b.get(ni).i32(1).op('i32x4.shr_s').tee(half);
  b.splat('i32', 127).op('i32x4.add').i32(23).op('i32x4.shl').op('f32x4.mul');
  b.get(ni).get(half).op('i32x4.sub').splat('i32', 127).op('i32x4.add').i32(23).op('i32x4.shl');
  b.op('f32x4.mul');
}

/** Pops an f32 x and pushes e^x (the f32x4 code on a splat, lane 0). */
export function emitExpF32(b: FunctionBuilder): void {
  b.op('f32x4.splat');
  emitExpF32x4(b);
  b.op('f32x4.extract_lane', 0);
}

/** Options of the exp kernel (used by tests and as a template for the elementwise kernels). */
export interface ExpSpec {
  /** Export name (default `exp_f32`). */
  name?: string;
}

/** Emits `name(x, out, n, thread, threads)`: out[i] = e^x[i] for i < n (f32, out may equal x). */
export function emitExp(mod: ModuleBuilder, spec: ExpSpec = {}): KernelExport {
  const name = spec.name ?? 'exp_f32';
  const args = ['x', 'out', 'n'] as const;
  mod.func(name, kernelParams(args), [], (b) => {
    const { x, out, n, thread, threads } = paramsByName(b, args);
    const i = b.local('i32', 'i');
    const end = b.local('i32', 'end');
    emitShare(b, n, thread, threads, i, end, 4);
    b.block((exit) => {
      b.loop((again) => {
        b.get(i).i32(4).op('i32.add').get(end).op('i32.gt_s').brIf(exit);
        b.get(out).get(i).i32(2).op('i32.shl').op('i32.add');
        b.get(x).get(i).i32(2).op('i32.shl').op('i32.add').op('v128.load', 0, 2);
        emitExpF32x4(b);
        b.op('v128.store', 0, 2);
        b.get(i).i32(4).op('i32.add').set(i).br(again);
      });
    });
    b.range(i, i, end, 1, () => {
      b.get(out).get(i).i32(2).op('i32.shl').op('i32.add');
      b.get(x).get(i).i32(2).op('i32.shl').op('i32.add').op('f32.load');
      emitExpF32(b);
      b.op('f32.store');
    });
  });
  return { name, args };
}
