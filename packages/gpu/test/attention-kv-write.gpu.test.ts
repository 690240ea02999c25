import { describe, expect, it } from 'vitest';
import { KvWriteOp, kvWriteTuningSpace } from '../src/ops/attention/kv-write.ts';
import { kvPoolIndex, PAGE_TOKENS } from '../src/ops/attention/paged-kv-layout.ts';
import type { RopeParams } from '../src/ops/rope/rope-params.ts';
import { defaultIndex } from '../src/ops/shared/tuning-space.ts';
import {
  candidateSample,
  expectClose,
  freshSeed,
  poisonedBuffer,
  randomF32,
  readF32,
  seededRandom,
  testKernelContext,
  uploadBuffer,
} from '../src/testing/index.ts';
import { pagedFixture, permutation } from './attention-reference.ts';
import { refRope, ropeTolerance } from './rope-reference.ts';

// Rotations at positions < 128 (see ropeTolerance); copies are exact.
const ROPE_TOL = ropeTolerance(128);

describe('KV write into paged pools on SwiftShader', () => {
  const seed = freshSeed();
  const configs = candidateSample(kvWriteTuningSpace.candidates, 3, seed, defaultIndex(kvWriteTuningSpace));
  const cases: { rows: number; nHeads: number; nKv: number; headDim: number; rope?: RopeParams }[] = [
    { rows: 1, nHeads: 2, nKv: 1, headDim: 16 },
    { rows: 5, nHeads: 8, nKv: 2, headDim: 64, rope: { neox: true, base: 1e6 } },
    { rows: 19, nHeads: 6, nKv: 3, headDim: 128, rope: { neox: false, base: 10000, scale: 2, nRot: 96 } },
  ];

  it('scatters rows of a fused qkv buffer to (slot, position) through a shuffled block table, rotating k', async () => {
    const ctx = await testKernelContext();
    const { device } = ctx;
    const rand = seededRandom(seed);
    for (const config of configs) {
      for (const c of cases) {
        const label = `seed ${seed} config ${JSON.stringify(config)} ${JSON.stringify({ ...c, rope: c.rope ?? null })}`;
        const { rows, nHeads, nKv, headDim } = c;
        const maxPages = 8;
        // Four sequences of 128 positions' capacity; rows go to distinct random (slot, position).
        const fx = pagedFixture(rand, { nKv, headDim, maxPages }, [128, 128, 128, 128], false);
        const targets = permutation(4 * 128, rand)
          .slice(0, rows)
          .map((i) => ({ seq: fx.seqs[i >> 7]!, pos: i & 127 }));
        const rowInfo = new Uint32Array(targets.flatMap((t) => [t.seq.slot, t.pos]));
        const stride = (nHeads + 2 * nKv) * headDim;
        const qkv = randomF32(rows * stride, rand);
        const width = nKv * headDim;
        const poolBytes = fx.numPages * PAGE_TOKENS * width * 4;
        const kPool = poisonedBuffer(device, poolBytes);
        const vPool = poisonedBuffer(device, poolBytes);
        const op = await KvWriteOp.prepare(ctx, {
          nKvHeads: nKv,
          headDim,
          numPages: fx.numPages,
          maxPagesPerSeq: maxPages,
          rope: c.rope,
          // With rope, q is rotated in the same dispatch (from its own copy of the rows).
          qHeads: c.rope ? nHeads : 0,
          config,
        });
        const qBuf = uploadBuffer(device, qkv);
        const qkvBuf = uploadBuffer(device, qkv);
        const enc = device.createCommandEncoder();
        op.encode(enc, {
          k: qkvBuf,
          v: qkvBuf,
          kStride: stride,
          vStride: stride,
          kOffset: nHeads * headDim,
          vOffset: (nHeads + nKv) * headDim,
          rowInfo: uploadBuffer(device, rowInfo),
          blockTable: uploadBuffer(device, fx.blockTable),
          kPool,
          vPool,
          rows,
          ...(c.rope ? { q: qBuf, qStride: stride } : {}),
        });
        device.queue.submit([enc.finish()]);
        if (c.rope) {
          const expectedQ = Float64Array.from(qkv);
          const ropeRef = { neox: c.rope.neox, base: c.rope.base, scale: c.rope.scale, nRot: c.rope.nRot };
          refRope(
            expectedQ,
            rows,
            stride,
            0,
            nHeads,
            headDim,
            targets.map((t) => t.pos),
            ropeRef,
          );
          // q heads rotated; the k and v parts of the copy are left as they were.
          expectClose(await readF32(device, qBuf), expectedQ, ROPE_TOL, `q rotation ${label}`);
        }

        const expectedK = Float64Array.from(qkv);
        if (c.rope) {
          refRope(
            expectedK,
            rows,
            stride,
            nHeads * headDim,
            nKv,
            headDim,
            targets.map((t) => t.pos),
            { neox: c.rope.neox, base: c.rope.base, scale: c.rope.scale, nRot: c.rope.nRot },
          );
        }
        const gotK = await readF32(device, kPool);
        const gotV = await readF32(device, vPool);
        const written = new Set<number>();
        for (let r = 0; r < rows; r++) {
          const { seq, pos } = targets[r]!;
          const base = kvPoolIndex(seq.pages[pos >> 4]!, pos % PAGE_TOKENS, 0, 0, nKv, headDim);
          const k = gotK.subarray(base, base + width);
          const v = gotV.subarray(base, base + width);
          const src = r * stride + nHeads * headDim;
          expectClose(
            k,
            expectedK.subarray(src, src + width),
            c.rope ? ROPE_TOL : { atol: 0 },
            `k row ${r} ${label}`,
          );
          expect(Array.from(v)).toEqual(Array.from(qkv.subarray(src + width, src + 2 * width)));
          written.add(base);
        }
        // Everything else stays poisoned: nothing written outside the targeted tokens.
        for (let i = 0; i < gotK.length; i += width) {
          if (written.has(i)) continue;
          expect(Number.isNaN(gotK[i]) && Number.isNaN(gotV[i + width - 1])).toBe(true);
        }
      }
    }
  });
});
