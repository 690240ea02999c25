// RMSNorm (Zhang & Sennrich 2019; llama.cpp's ggml_rms_norm then a multiply by the weight):
// out = x / sqrt(mean(x²) + eps) ⊙ w over groups of `dim` floats. groups = 1 is the usual
// per-row norm; groups > 1 normalises each head of a row separately with one shared weight
// (qwen3's q/k norm), in place when out = x. Sums in f32, four lanes at a time.
import type { Local, ModuleBuilder } from '../../encoder/index.ts';
import type { KernelExport } from '../math/kernel-export.ts';
import { kernelParams, paramsByName } from '../math/kernel-params.ts';
import { emitHorizontalSum } from '../math/lanes.ts';
import { emitShare } from '../thread-share.ts';

/** Shape constants of an RMSNorm kernel. */
export interface RmsNormSpec {
  /** Floats per group (the row width when groups = 1). */
  dim: number;
  /** Epsilon added to the mean square (rounded to f32). */
  eps: number;
  /** Groups of `dim` per row, consecutive from the row's start (default 1). */
  groups?: number;
  /** Export name (default `rms_norm_<dim>x<groups>`). */
  name?: string;
}

/**
 * Emits `name(x, w, out, rows, ldx, ldo, thread, threads)`: for each row r < rows and group g,
 * out[r·ldo + g·dim + j] = x[r·ldx + g·dim + j] / sqrt(mean_j x² + eps) · w[j]; x, w and out are
 * byte offsets of f32 arrays, ldx and ldo row strides in floats; out may equal x. Work is split
 * over threads by (row, group).
 */
export function emitRmsNorm(mod: ModuleBuilder, spec: RmsNormSpec): KernelExport {
  const { dim, eps } = spec;
  const groups = spec.groups ?? 1;
  if (!(Number.isInteger(dim) && dim > 0 && Number.isInteger(groups) && groups > 0)) {
    throw new RangeError(`rms norm: bad dim ${dim} or groups ${groups}`);
  }
  const name = spec.name ?? `rms_norm_${dim}x${groups}`;
  const args = ['x', 'w', 'out', 'rows', 'ldx', 'ldo'] as const;
  const vecBytes = Math.floor(dim / 4) * 16;
  mod.func(name, kernelParams(args), [], (b) => {
    const { x, w, out, rows, ldx, ldo, thread, threads } = paramsByName(b, args);
    const u = b.local('i32', 'u');
    const end = b.local('i32', 'end');
    const xp = b.local('i32', 'xp');
    const op = b.local('i32', 'op');
    const i = b.local('i32', 'i');
    const acc = b.local('v128', 'acc');
    const ss = b.local('f32', 'ss');
    const inv = b.local('v128', 'inv');
    const units = b.local('i32', 'units');
    b.get(rows).i32(groups).op('i32.mul').set(units);
    emitShare(b, units, thread, threads, u, end);
    b.range(u, u, end, 1, () => {
      // xp = x + 4·(row·ldx + g·dim), op likewise.
      const rowStart = (base: Local, ld: Local, into: Local) => {
        b.get(base);
        if (groups === 1) b.get(u).get(ld).op('i32.mul');
        else {
          b.get(u).i32(groups).op('i32.div_u').get(ld).op('i32.mul');
          b.get(u).i32(groups).op('i32.rem_u').i32(dim).op('i32.mul').op('i32.add');
        }
        b.i32(2).op('i32.shl').op('i32.add').set(into);
      };
      rowStart(x, ldx, xp);
      rowStart(out, ldo, op);
      b.splat('f32', 0).set(acc);
      b.range(i, 0, vecBytes, 16, () => {
        b.get(xp).get(i).op('i32.add').op('v128.load', 0, 2).tee(inv);
        b.get(inv).op('f32x4.mul').get(acc).op('f32x4.add').set(acc);
      });
      b.get(acc);
      emitHorizontalSum(b);
      for (let j = vecBytes; j < dim * 4; j += 4) {
        b.get(xp).op('f32.load', j).get(xp).op('f32.load', j).op('f32.mul').op('f32.add');
      }
      b.set(ss);
      // inv = 1 / sqrt(ss / dim + eps)
      b.f32(1).get(ss).f32(dim).op('f32.div').f32(eps).op('f32.add').op('f32.sqrt').op('f32.div');
      b.op('f32x4.splat').set(inv);
      b.range(i, 0, vecBytes, 16, () => {
        b.get(op).get(i).op('i32.add');
        b.get(xp).get(i).op('i32.add').op('v128.load', 0, 2).get(inv).op('f32x4.mul');
        b.get(w).get(i).op('i32.add').op('v128.load', 0, 2).op('f32x4.mul');
        b.op('v128.store', 0, 2);
      });
      for (let j = vecBytes; j < dim * 4; j += 4) {
        b.get(op).get(xp).op('f32.load', j).get(inv).op('f32x4.extract_lane', 0).op('f32.mul');
        b.get(w).op('f32.load', j).op('f32.mul').op('f32.store', j);
      }
    });
  });
  return { name, args };
}
