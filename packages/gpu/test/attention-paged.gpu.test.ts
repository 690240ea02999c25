import { describe, it } from 'vitest';
import { KvWriteOp } from '../src/ops/attention/kv-write.ts';
import { PagedAttentionOp, pagedAttentionTuningSpace } from '../src/ops/attention/paged-attention.ts';
import { PAGE_TOKENS } from '../src/ops/attention/paged-kv-layout.ts';
import type { KernelContext } from '../src/ops/context.ts';
import { defaultIndex, type TuningPoint } from '../src/ops/shared/tuning-space.ts';
import {
  candidateSample,
  expectClose,
  freshSeed,
  poisonedBuffer,
  randomF32,
  readF32,
  seededRandom,
  testKernelContext as sharedContext,
  uploadBuffer,
} from '../src/testing/index.ts';
import { type PagedFixture, pagedFixture, permutation, refAttentionRow } from './attention-reference.ts';

// Outputs are convex combinations of values in [-1, 1]; f32 dot products of ≤ 128 terms and
// sums of ≤ 100 exponentials carry ~1e-6 relative error: 2e-5 absolute leaves margin.
const TOL = { atol: 2e-5 };

// The serial kernel's heads per invocation (QH) here: 1, 4, 1 (3 × 32 vec4s is too many), 2.
const SHAPES = [
  { nHeads: 4, nKv: 4, headDim: 16 }, // multi-head, smallest head
  { nHeads: 8, nKv: 2, headDim: 64 }, // GQA, group 4
  { nHeads: 6, nKv: 2, headDim: 128 }, // GQA, group 3, llama-sized head
  { nHeads: 4, nKv: 2, headDim: 32 }, // GQA, group 2
];

/** A query row: which fixture sequence, at which position. */
interface Row {
  seq: number;
  pos: number;
}

/** Uploads a fixture and rows, runs one encode with the given ranges, returns the output rows. */
async function runAttention(
  ctx: KernelContext,
  op: PagedAttentionOp,
  fx: PagedFixture,
  rows: Row[],
  q: Float32Array,
  ranges: { decode?: { start: number; count: number }; prefill?: { start: number; count: number }[] },
  qStride: number,
  maxKeys = Math.max(...rows.map((r) => r.pos + 1)),
): Promise<Float32Array> {
  const { device } = ctx;
  const rowInfo = new Uint32Array(rows.flatMap((r) => [fx.seqs[r.seq]!.slot, r.pos]));
  const out = poisonedBuffer(device, rows.length * qStride * 4);
  const enc = device.createCommandEncoder();
  op.encode(enc, {
    q: uploadBuffer(device, q),
    out,
    kPool: uploadBuffer(device, fx.kPool),
    vPool: uploadBuffer(device, fx.vPool),
    blockTable: uploadBuffer(device, fx.blockTable),
    rowInfo: uploadBuffer(device, rowInfo),
    ...ranges,
    maxKeys,
    qStride,
    oStride: qStride,
  });
  device.queue.submit([enc.finish()]);
  return readF32(device, out);
}

function expectRows(
  got: Float32Array,
  rows: Row[],
  fx: PagedFixture,
  q: Float32Array,
  qStride: number,
  nHeads: number,
  scale: number,
  label: string,
  opts: { softcap?: number; window?: number } = {},
): void {
  const width = nHeads * fx.headDim;
  rows.forEach((r, i) => {
    const ref = refAttentionRow(
      fx.seqs[r.seq]!,
      r.pos,
      q,
      i * qStride,
      nHeads,
      fx.nKv,
      fx.headDim,
      scale,
      opts,
    );
    expectClose(
      got.subarray(i * qStride, i * qStride + width),
      ref,
      TOL,
      `${label} row ${i} (seq ${r.seq} pos ${r.pos})`,
    );
  });
}

describe('paged attention on SwiftShader', () => {
  const seed = freshSeed();
  // One pipeline cache for the file: the tests compile the same configurations.
  let shared: Promise<KernelContext> | undefined;
  const testKernelContext = () => {
    shared ??= sharedContext();
    return shared;
  };
  const space = pagedAttentionTuningSpace;
  // The shipped default, a seeded sample, and forced fine split-K (many splits, some empty) with
  // K/V staged in workgroup memory and with the serial (one invocation per row and head) kernel.
  const configs: TuningPoint[] = [
    ...candidateSample(space.candidates, 3, seed, defaultIndex(space)),
    { WG: 64, BK: 4, SPLIT: 16, ROWS: 3, STAGE: 1 },
    { WG: 16, SPLIT: 16, SERIAL: 1 },
  ];

  it('decode: one row per sequence, different lengths over shuffled pages, GQA, split-K', async () => {
    const ctx = await testKernelContext();
    const rand = seededRandom(seed);
    for (const config of configs) {
      for (const s of SHAPES) {
        const label = `seed ${seed} config ${JSON.stringify(config)} ${JSON.stringify(s)}`;
        const lengths = [1, 16, 17, 45, 70];
        const fx = pagedFixture(rand, { nKv: s.nKv, headDim: s.headDim, maxPages: 6 }, lengths);
        const scale = (0.5 + rand()) / Math.sqrt(s.headDim);
        const op = await PagedAttentionOp.prepare(ctx, {
          nHeads: s.nHeads,
          nKvHeads: s.nKv,
          headDim: s.headDim,
          maxPagesPerSeq: fx.maxPages,
          scale,
          config,
        });
        // Rows in shuffled sequence order; the q buffer has padding between rows.
        const rows = permutation(lengths.length, rand).map((seq) => ({ seq, pos: lengths[seq]! - 1 }));
        const qStride = s.nHeads * s.headDim + 8;
        const q = randomF32(rows.length * qStride, rand, -2, 2);
        const got = await runAttention(
          ctx,
          op,
          fx,
          rows,
          q,
          { decode: { start: 0, count: rows.length } },
          qStride,
        );
        expectRows(got, rows, fx, q, qStride, s.nHeads, scale, `decode ${label}`);
        if (config.SPLIT === 16) {
          // maxKeys underestimated (2 splits for contexts up to 70): the last split takes the rest.
          const under = await runAttention(
            ctx,
            op,
            fx,
            rows,
            q,
            { decode: { start: 0, count: rows.length } },
            qStride,
            20,
          );
          expectRows(
            under,
            rows,
            fx,
            q,
            qStride,
            s.nHeads,
            scale,
            `decode, maxKeys underestimated, ${label}`,
          );
        }
      }
    }
  });

  it('mixed batch: decode rows and two prefill chunks in one encode; chunk rows equal their decode-path results', async () => {
    const ctx = await testKernelContext();
    const rand = seededRandom(seed ^ 0x1234);
    for (const config of configs) {
      for (const s of SHAPES) {
        const label = `seed ${seed} config ${JSON.stringify(config)} ${JSON.stringify(s)}`;
        // seq 0..2 decode; seq 3: chunk of 19 rows at positions 30..48; seq 4: chunk of 5 at 0..4.
        const lengths = [9, 33, 64, 49, 5];
        const fx = pagedFixture(rand, { nKv: s.nKv, headDim: s.headDim, maxPages: 5 }, lengths);
        const scale = 1 / Math.sqrt(s.headDim);
        const op = await PagedAttentionOp.prepare(ctx, {
          nHeads: s.nHeads,
          nKvHeads: s.nKv,
          headDim: s.headDim,
          maxPagesPerSeq: fx.maxPages,
          config,
        });
        const rows: Row[] = [
          { seq: 2, pos: 63 },
          { seq: 0, pos: 8 },
          { seq: 1, pos: 32 },
          ...Array.from({ length: 19 }, (_, i) => ({ seq: 3, pos: 30 + i })),
          ...Array.from({ length: 5 }, (_, i) => ({ seq: 4, pos: i })),
        ];
        const qStride = s.nHeads * s.headDim;
        const q = randomF32(rows.length * qStride, rand, -2, 2);
        const ranges = {
          decode: { start: 0, count: 3 },
          prefill: [
            { start: 3, count: 19 },
            { start: 22, count: 5 },
          ],
        };
        const tiled = await runAttention(ctx, op, fx, rows, q, ranges, qStride);
        expectRows(tiled, rows, fx, q, qStride, s.nHeads, scale, `mixed ${label}`);
        const untiled = await runAttention(
          ctx,
          op,
          fx,
          rows,
          q,
          { decode: { start: 0, count: rows.length } },
          qStride,
        );
        expectClose(untiled, tiled, TOL, `decode path vs prefill tiles ${label}`);
      }
    }
  });

  it('sliding window (13 keys, across pages) and soft-cap: decode rows and prefill chunks, every config', async () => {
    const ctx = await testKernelContext();
    const rand = seededRandom(seed ^ 0x5a5a);
    const window = 13;
    const softcap = 1.5;
    for (const config of configs) {
      for (const s of SHAPES.slice(0, 2)) {
        const label = `seed ${seed} config ${JSON.stringify(config)} ${JSON.stringify(s)} window ${window}`;
        const lengths = [9, 33, 64, 49, 5];
        const fx = pagedFixture(rand, { nKv: s.nKv, headDim: s.headDim, maxPages: 5 }, lengths);
        const scale = 1.5 / Math.sqrt(s.headDim);
        const op = await PagedAttentionOp.prepare(ctx, {
          nHeads: s.nHeads,
          nKvHeads: s.nKv,
          headDim: s.headDim,
          maxPagesPerSeq: fx.maxPages,
          scale,
          softcap,
          window,
          config,
        });
        // Decode rows before, at and past the window; a chunk crossing it; a chunk inside it.
        const rows: Row[] = [
          { seq: 2, pos: 63 },
          { seq: 0, pos: 8 },
          { seq: 1, pos: 12 },
          ...Array.from({ length: 19 }, (_, i) => ({ seq: 3, pos: 30 + i })),
          ...Array.from({ length: 5 }, (_, i) => ({ seq: 4, pos: i })),
        ];
        const qStride = s.nHeads * s.headDim;
        const q = randomF32(rows.length * qStride, rand, -2, 2);
        const ranges = {
          decode: { start: 0, count: 3 },
          prefill: [
            { start: 3, count: 19 },
            { start: 22, count: 5 },
          ],
        };
        const tiled = await runAttention(ctx, op, fx, rows, q, ranges, qStride);
        expectRows(tiled, rows, fx, q, qStride, s.nHeads, scale, `windowed ${label}`, { softcap, window });
        const decode = await runAttention(
          ctx,
          op,
          fx,
          rows,
          q,
          { decode: { start: 0, count: rows.length } },
          qStride,
        );
        expectRows(decode, rows, fx, q, qStride, s.nHeads, scale, `windowed decode ${label}`, {
          softcap,
          window,
        });
      }
    }
  });

  it('head dim 256 (the largest supported): decode rows and a prefill chunk, tiled, staged and serial', async () => {
    const ctx = await testKernelContext();
    const rand = seededRandom(seed ^ 0x256);
    const [nHeads, nKv, headDim] = [4, 2, 256];
    const lengths = [20, 3, 41];
    const fx = pagedFixture(rand, { nKv, headDim, maxPages: 3 }, lengths);
    const rows: Row[] = [
      { seq: 1, pos: 2 },
      { seq: 0, pos: 19 },
      ...Array.from({ length: 7 }, (_, i) => ({ seq: 2, pos: 34 + i })),
    ];
    const qStride = nHeads * headDim;
    const q = randomF32(rows.length * qStride, rand, -1, 1);
    const ranges = { decode: { start: 0, count: 2 }, prefill: [{ start: 2, count: 7 }] };
    for (const config of [
      space.default,
      { WG: 64, BK: 4, SPLIT: 16, ROWS: 2, STAGE: 1 },
      { WG: 16, SPLIT: 16, SERIAL: 1 },
    ]) {
      const op = await PagedAttentionOp.prepare(ctx, {
        nHeads,
        nKvHeads: nKv,
        headDim,
        maxPagesPerSeq: 3,
        config,
      });
      const got = await runAttention(ctx, op, fx, rows, q, ranges, qStride);
      expectRows(
        got,
        rows,
        fx,
        q,
        qStride,
        nHeads,
        1 / Math.sqrt(headDim),
        `hd 256 seed ${seed} config ${JSON.stringify(config)}`,
      );
    }
  });

  it('a prefill chunk, then decode rows one step at a time, equals a one-shot prefill (KV written by KvWriteOp)', async () => {
    const ctx = await testKernelContext();
    const { device } = ctx;
    const rand = seededRandom(seed ^ 0x4321);
    const [nHeads, nKv, headDim] = [8, 2, 64];
    const [chunk, decodeSteps, maxPages] = [37, 6, 4];
    const total = chunk + decodeSteps;
    const width = nKv * headDim;
    const stride = (nHeads + 2 * nKv) * headDim;
    const qkv = randomF32(total * stride, rand, -2, 2);

    /** Runs the sequence in the given step plan on fresh pools; returns all rows' outputs. */
    async function run(steps: { start: number; count: number; prefill: boolean }[], config: TuningPoint) {
      const numPages = 2 * maxPages + 1;
      const pages = permutation(numPages, rand).slice(0, maxPages);
      const slot = 1;
      const blockTable = new Uint32Array(3 * maxPages).fill(numPages - 1);
      pages.forEach((p, i) => {
        blockTable[slot * maxPages + i] = p;
      });
      const poolBytes = numPages * PAGE_TOKENS * width * 4;
      const [kPool, vPool] = [poisonedBuffer(device, poolBytes), poisonedBuffer(device, poolBytes)];
      const rowInfo = uploadBuffer(
        device,
        new Uint32Array(Array.from({ length: total }, (_, p) => [slot, p]).flat()),
      );
      const qkvBuf = uploadBuffer(device, qkv);
      const bt = uploadBuffer(device, blockTable);
      const out = poisonedBuffer(device, total * nHeads * headDim * 4);
      const write = await KvWriteOp.prepare(ctx, {
        nKvHeads: nKv,
        headDim,
        numPages,
        maxPagesPerSeq: maxPages,
      });
      const attn = await PagedAttentionOp.prepare(ctx, {
        nHeads,
        nKvHeads: nKv,
        headDim,
        maxPagesPerSeq: maxPages,
        config,
      });
      for (const st of steps) {
        // Each step is its own submit, as the runtime's steps are; row info and q are offset by `start`.
        const enc = device.createCommandEncoder();
        const rows = { buffer: rowInfo, offset: 0, size: rowInfo.size };
        write.encode(enc, {
          k: qkvBuf,
          v: qkvBuf,
          kStride: stride,
          vStride: stride,
          kOffset: st.start * stride + nHeads * headDim,
          vOffset: st.start * stride + (nHeads + nKv) * headDim,
          rowInfo: uploadBuffer(
            device,
            new Uint32Array(Array.from({ length: st.count }, (_, i) => [slot, st.start + i]).flat()),
          ),
          blockTable: bt,
          kPool,
          vPool,
          rows: st.count,
        });
        attn.encode(enc, {
          q: qkvBuf,
          qStride: stride,
          out,
          kPool,
          vPool,
          blockTable: bt,
          rowInfo: rows,
          ...(st.prefill
            ? { prefill: [{ start: st.start, count: st.count }] }
            : { decode: { start: st.start, count: st.count } }),
          maxKeys: st.start + st.count,
        });
        device.queue.submit([enc.finish()]);
      }
      return readF32(device, out);
    }

    for (const config of configs) {
      const label = `seed ${seed} config ${JSON.stringify(config)}`;
      const stepwise = await run(
        [
          { start: 0, count: chunk, prefill: true },
          ...Array.from({ length: decodeSteps }, (_, i) => ({ start: chunk + i, count: 1, prefill: false })),
        ],
        config,
      );
      const oneShot = await run([{ start: 0, count: total, prefill: true }], config);
      expectClose(stepwise, oneShot, TOL, `chunk + decode vs one shot ${label}`);
      const seq = { k: new Float32Array(total * width), v: new Float32Array(total * width) };
      for (let p = 0; p < total; p++) {
        seq.k.set(
          qkv.subarray(p * stride + nHeads * headDim, p * stride + (nHeads + nKv) * headDim),
          p * width,
        );
        seq.v.set(qkv.subarray(p * stride + (nHeads + nKv) * headDim, (p + 1) * stride), p * width);
      }
      for (let p = 0; p < total; p++) {
        const ref = refAttentionRow(seq, p, qkv, p * stride, nHeads, nKv, headDim, 1 / Math.sqrt(headDim));
        expectClose(
          stepwise.subarray(p * nHeads * headDim, (p + 1) * nHeads * headDim),
          ref,
          TOL,
          `row ${p} ${label}`,
        );
      }
    }
  });
});
