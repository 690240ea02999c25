// SwiGLU's gating (Shazeer 2020, "GLU Variants Improve Transformer"; llama.cpp's
// ggml_swiglu_split): out = silu(gate) ⊙ up with silu(g) = g / (1 + e^−g). gate and up may be
// the two halves of one fused gate+up row.
import type { ModuleBuilder } from '../../encoder/index.ts';
import type { KernelExport } from '../math/kernel-export.ts';
import { kernelParams, paramsByName } from '../math/kernel-params.ts';
import { emitShare } from '../thread-share.ts';
import { blocksOf, emitColumnBlock } from './column-blocks.ts';
import { emitAt, emitSpan } from './span.ts';

/** Shape constants of a SiLU-mul kernel. */
export interface SiluMulSpec {
  /** Floats per row of the output (the feed-forward width). */
  ff: number;
  /** Export name (default `silu_mul_<ff>`). */
  name?: string;
}

/**
 * Emits `name(gate, up, ldx, out, ldo, rows, thread, threads)`: out[r·ldo + j] =
 * silu(gate[r·ldx + j]) · up[r·ldx + j] for j < ff (byte offsets; strides in floats; for a
 * fused row pass up = gate + 4·ff). out may equal gate. Split over (row, block of 256 columns).
 */
export function emitSiluMul(mod: ModuleBuilder, spec: SiluMulSpec): KernelExport {
  const { ff } = spec;
  const name = spec.name ?? `silu_mul_${ff}`;
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
        b.tee(g).get(g);
        if (w.n === 4) b.op('f32x4.neg');
        else b.op('f32.neg');
        w.exp(b);
        w.konst(b, 1);
        b.op(w.add).op(w.div);
        emitAt(b, upp, at);
        b.op(w.load, 0, 2).op(w.mul).op(w.store, 0, 2);
      });
    });
  });
  return { name, args };
}
