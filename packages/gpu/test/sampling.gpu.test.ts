import { describe, expect, it } from 'vitest';
import { kernelSources } from '../src/kernels/sources.generated.ts';
import type { KernelContext } from '../src/ops/context.ts';
import { philox4x32_10, streamGumbel } from '../src/ops/sampling/philox.ts';
import { SamplerOp, samplerTuningSpace } from '../src/ops/sampling/sampler.ts';
import {
  decodeSamplerOutput,
  packSamplerParams,
  SAMPLER_NONE,
  SAMPLER_OUT_WORDS,
  type SamplerRowParams,
  type SamplerRowResult,
} from '../src/ops/sampling/sampler-params.ts';
import { sampleReference } from '../src/ops/sampling/sampler-reference.ts';
import { samplerTunable } from '../src/ops/sampling/tunable.ts';
import {
  freshSeed,
  POISON_BITS,
  poisonedBuffer,
  readBuffer,
  readF32,
  seededRandom,
  spaceSample,
  testKernelContext,
  uploadBuffer,
} from '../src/testing/index.ts';

// f32 log-sum-exp over ≤ 32k values against float64: log Z is ~10 and loses ~1e-6 relative;
// entropy and self-certainty are differences of such sums. 2e-4 absolute leaves margin while
// any wrong formula (a missing term, a wrong max) is off by far more.
const STAT_TOL = { atol: 2e-4, rtol: 1e-5 };

/** Logits: uniform noise, or peaked (a few large values) like a trained model's. */
function makeLogits(rows: number, vocab: number, rand: () => number): Float32Array {
  const x = new Float32Array(rows * vocab);
  for (let r = 0; r < rows; r++) {
    const peaked = r % 2 === 1;
    for (let i = 0; i < vocab; i++) {
      const u = rand();
      x[r * vocab + i] = peaked ? -3 + 14 * u ** 8 : -4 + 8 * u;
    }
  }
  return x;
}

/** Every kind of row: argmax, forced, temperature only, top-k, top-p, min-p, and penalties/bans mixed in. */
function mixedParams(
  rows: number,
  vocab: number,
  rand: () => number,
  maxTopK: number,
  firstKind = 0,
): SamplerRowParams[] {
  const out: SamplerRowParams[] = [];
  for (let i = 0; i < rows; i++) {
    const base: SamplerRowParams = {
      temperature: 0.3 + 1.5 * rand(),
      sequence: Math.floor(rand() * 1e6),
      position: Math.floor(rand() * 8000),
      seed: Math.floor(rand() * 2 ** 45),
    };
    const history = () => {
      const counts = new Map<number, number>();
      for (let j = 0; j < 40; j++) counts.set(Math.floor(rand() * vocab), 1 + Math.floor(rand() * 3));
      return counts;
    };
    const bans = () => Array.from({ length: 1 + Math.floor(rand() * 30) }, () => Math.floor(rand() * vocab));
    const kind = (i + firstKind) % 9;
    if (kind === 0) out.push({ ...base, temperature: 0 });
    else if (kind === 1) out.push({ ...base, forceToken: Math.floor(rand() * vocab) });
    else if (kind === 2) out.push(base);
    else if (kind === 3) out.push({ ...base, topK: 1 + Math.floor(rand() * maxTopK) });
    else if (kind === 4) out.push({ ...base, topP: 0.5 + 0.49 * rand() });
    else if (kind === 5) out.push({ ...base, minP: 0.01 + 0.3 * rand() });
    else if (kind === 6)
      out.push({
        ...base,
        topK: 1 + Math.floor(rand() * maxTopK),
        topP: 0.6 + 0.3 * rand(),
        repetitionPenalty: 1.1 + rand(),
        frequencyPenalty: 0.5 * rand(),
        presencePenalty: 0.5 * rand(),
        tokenCounts: history(),
        bannedTokens: bans(),
      });
    else if (kind === 7)
      out.push({
        ...base,
        temperature: 0,
        repetitionPenalty: 1.5,
        tokenCounts: history(),
        bannedTokens: bans(),
      });
    else out.push({ ...base, minP: 0.05, presencePenalty: 1, tokenCounts: history(), bannedTokens: bans() });
  }
  return out;
}

async function runSampler(
  ctx: KernelContext,
  op: SamplerOp,
  logits: Float32Array,
  params: SamplerRowParams[],
  vocab: number,
  candidates?: number,
): Promise<{ results: SamplerRowResult[]; words: Uint32Array }> {
  const { device } = ctx;
  const rows = params.length;
  const out = poisonedBuffer(device, SamplerOp.outputBytes(rows));
  const enc = device.createCommandEncoder();
  op.encode(enc, {
    logits: uploadBuffer(device, logits),
    params: uploadBuffer(device, packSamplerParams(params, vocab, candidates)),
    out,
    rows,
    vocab,
    ...(candidates === undefined ? {} : { candidates }),
  });
  device.queue.submit([enc.finish()]);
  const data = await readBuffer(device, out);
  return { results: decodeSamplerOutput(data, rows), words: new Uint32Array(data) };
}

function compareRow(
  got: SamplerRowResult,
  logits: Float32Array,
  params: SamplerRowParams,
  candidates: number,
  label: string,
): boolean {
  const ref = sampleReference(logits, params, candidates);
  const close = (a: number, e: number, what: string) => {
    const ok = Math.abs(a - e) <= STAT_TOL.atol + STAT_TOL.rtol * Math.abs(e);
    if (!ok) throw new Error(`${label}: ${what} ${a} vs float64 ${e}`);
  };
  close(got.entropy, ref.entropy, 'entropy');
  close(got.selfCertainty, ref.selfCertainty, 'selfCertainty');
  close(got.logZ, ref.logZ, 'logZ');
  expect(
    got.top.map((t) => t.token),
    `${label}: top ids`,
  ).toEqual(ref.top.map((t) => t.token));
  for (const [j, t] of got.top.entries()) {
    close(t.logprob, (ref.top[j] as { logprob: number }).logprob, `top[${j}].logprob`);
  }
  if (got.token !== ref.token || got.keptTokens !== ref.keptTokens) {
    if (!ref.fragile)
      throw new Error(
        `${label}: token ${got.token} (kept ${got.keptTokens}) vs reference ${ref.token} (kept ${ref.keptTokens}), not a near-tie`,
      );
    return false;
  }
  if (ref.token !== SAMPLER_NONE) close(got.logprob, ref.logprob, 'logprob');
  return true;
}

describe('GPU sampler on SwiftShader', () => {
  const seed = freshSeed();
  const configs = spaceSample(samplerTuningSpace, 3, seed);

  for (const config of configs) {
    it(`matches the float64 reference (tokens, logprobs, entropy, self-certainty, top-20) on mixed rows, ${JSON.stringify(config)}`, async () => {
      const ctx = await testKernelContext();
      const rand = seededRandom(seed ^ ((config.WG ?? 0) * 7 + (config.SORT_N ?? 0)));
      const op = await SamplerOp.prepare(ctx, { config });
      const cases: [number, number, number | undefined, number?][] = [
        [18, 1000, undefined],
        [4, 32003, (config.SORT_N ?? 1024) >= 1024 ? 256 : 128],
        [9, 777, 32],
        [9, 5003, 1], // the no-sort fast path: greedy, forced, temperature-only, min-p, top-k 1
      ];
      // Qwen2's vocabulary (149 chunks: four merge levels), for the default configuration only.
      if (config === configs[0]) cases.push([3, 151936, undefined, 6]);
      for (const [rows, vocab, candidates, firstKind] of cases) {
        const kc = candidates ?? 256;
        const logits = makeLogits(rows, vocab, rand);
        const mixed = mixedParams(rows, vocab, rand, kc, firstKind);
        // Top-p needs candidates; the cap-1 path gets the same rows without it.
        const params = kc === 1 ? mixed.map(({ topP: _, ...rest }) => rest) : mixed;
        const { results, words } = await runSampler(ctx, op, logits, params, vocab, candidates);
        expect(
          words.every((w) => w !== POISON_BITS),
          `seed ${seed}: every output word written`,
        ).toBe(true);
        let agreed = 0;
        for (let r = 0; r < rows; r++) {
          const label = `seed ${seed} config ${JSON.stringify(config)} ${rows}×${vocab} kc ${kc} row ${r} ${JSON.stringify({ ...params[r], tokenCounts: undefined })}`;
          if (
            compareRow(
              results[r] as SamplerRowResult,
              logits.subarray(r * vocab, (r + 1) * vocab),
              params[r] as SamplerRowParams,
              kc,
              label,
            )
          )
            agreed++;
        }
        // Near-ties are rare on random logits: most rows must agree exactly.
        expect(agreed, `seed ${seed}`).toBeGreaterThanOrEqual(rows - 1);
      }
    });
  }

  it("sorts: 'later' serves greedy rows at once and candidate caps above 1 after ready(), with a typed error before", async () => {
    const ctx = await testKernelContext();
    const op = await SamplerOp.prepare(ctx, { sorts: 'later' });
    const rand = seededRandom(seed ^ 0x1a7e);
    const vocab = 1500;
    const logits = makeLogits(2, vocab, rand);
    const greedy: SamplerRowParams[] = [0, 1].map((r) => ({ temperature: 0, sequence: r, position: 0 }));
    // Each row against the float64 reference (compareRow throws on a mismatch).
    const check = (results: SamplerRowResult[], params: SamplerRowParams[], cap: number, what: string) => {
      for (const [r, row] of results.entries()) {
        compareRow(
          row,
          logits.subarray(r * vocab, (r + 1) * vocab),
          params[r] as SamplerRowParams,
          cap,
          `${what} row ${r}`,
        );
      }
    };
    check((await runSampler(ctx, op, logits, greedy, vocab, 1)).results, greedy, 1, 'greedy');
    const topP: SamplerRowParams[] = [0, 1].map((r) => ({
      temperature: 0.8,
      topP: 0.9,
      sequence: r,
      position: 3,
      seed: 7,
    }));
    await expect(runSampler(ctx, op, logits, topP, vocab, 64)).rejects.toMatchObject({
      code: 'invalid-argument',
    });
    await op.ready(64);
    check((await runSampler(ctx, op, logits, topP, vocab, 64)).results, topP, 64, 'top-p');
  });

  it('samples a row the same whichever batch it is in, and the argmax exactly', async () => {
    const ctx = await testKernelContext();
    const op = await SamplerOp.prepare(ctx);
    const rand = seededRandom(seed ^ 0x5eed);
    const vocab = 4099;
    const one = makeLogits(1, vocab, rand);
    const mine: SamplerRowParams = {
      temperature: 1.1,
      topP: 0.95,
      sequence: 42,
      position: 17,
      seed: 1234567,
    };
    const wide: SamplerRowParams = { temperature: 0.8, sequence: 42, position: 17, seed: 1234567 }; // full sweep path
    const solo = await runSampler(ctx, op, new Float32Array([...one, ...one]), [mine, wide], vocab);
    const others = makeLogits(7, vocab, rand);
    const batch = new Float32Array(9 * vocab);
    batch.set(others);
    batch.set(one, 3 * vocab);
    batch.set(one, 8 * vocab);
    const params = mixedParams(9, vocab, rand, 256);
    params[3] = mine;
    params[8] = wide;
    const inBatch = await runSampler(ctx, op, batch, params, vocab);
    expect(inBatch.results[3], `seed ${seed}`).toEqual(solo.results[0]);
    expect(inBatch.results[8], `seed ${seed}`).toEqual(solo.results[1]);
    // The candidate cap a batch happens to use does not change a row's draw (except top-p
    // nuclei beyond the cap, and top-p always uses the full cap): min-p, temperature-only, top-k.
    const capFree: SamplerRowParams[] = [
      { temperature: 0.9, minP: 0.2, sequence: 5, position: 9, seed: 77 },
      { temperature: 1.3, sequence: 5, position: 9, seed: 77 },
      { temperature: 1.0, topK: 1, sequence: 5, position: 9, seed: 77 },
    ];
    const three = new Float32Array([...one, ...one, ...one]);
    const capped = await runSampler(ctx, op, three, capFree, vocab, 1);
    const wide256 = await runSampler(ctx, op, three, capFree, vocab, 256);
    expect(
      capped.results.map((r) => r.token),
      `seed ${seed}`,
    ).toEqual(wide256.results.map((r) => r.token));
    // Masked (−inf) logits: never drawn, zero probability, finite entropy.
    const masked = one.slice();
    for (let i = 0; i < vocab; i += 3) masked[i] = Number.NEGATIVE_INFINITY;
    const maskedRows: SamplerRowParams[] = [
      { temperature: 1, sequence: 1, position: 2, seed: 3 },
      { temperature: 1, topP: 0.9, sequence: 1, position: 2, seed: 3 },
    ];
    const m = await runSampler(ctx, op, new Float32Array([...masked, ...masked]), maskedRows, vocab);
    for (const [r, got] of m.results.entries()) {
      const ref = sampleReference(masked, maskedRows[r] as SamplerRowParams);
      expect(got.token % 3, `seed ${seed}`).not.toBe(0);
      if (!ref.fragile) expect(got.token, `seed ${seed}`).toBe(ref.token);
      expect(Math.abs(got.entropy - ref.entropy), `seed ${seed}`).toBeLessThan(STAT_TOL.atol);
      // The kernel sums the allowed logits but divides by the vocabulary (it does not count them);
      // rescaled to the allowed count, as the runtime does, it is the reference's (over allowed tokens).
      const allowed = masked.filter((v) => v > Number.NEGATIVE_INFINITY).length;
      const sum = (got.selfCertainty - Math.log(vocab) + got.logZ) * vocab;
      const rescaled = Math.log(allowed) + sum / allowed - got.logZ;
      expect(Math.abs(rescaled - ref.selfCertainty), `seed ${seed}`).toBeLessThan(STAT_TOL.atol);
    }
    // argmax: exactly the first maximum of the logits.
    let best = 0;
    for (let i = 1; i < vocab; i++) if ((one[i] as number) > (one[best] as number)) best = i;
    const greedy = await runSampler(ctx, op, one, [{ temperature: 0, sequence: 0, position: 0 }], vocab);
    expect(greedy.results[0]?.token, `seed ${seed}`).toBe(best);
    // Everything banned: no token, the reported statistics stay those of the raw logits.
    const all = await runSampler(
      ctx,
      op,
      one.subarray(0, 10),
      [{ temperature: 1, sequence: 0, position: 0, bannedTokens: [...Array(10).keys()] }],
      10,
    );
    expect(all.results[0]?.token).toBe(SAMPLER_NONE);
    expect(Number.isNaN(all.results[0]?.logprob)).toBe(true);
    // A vocabulary below 20: unused top entries are "none", not left as garbage.
    const tiny = await runSampler(
      ctx,
      op,
      one.subarray(0, 7),
      [{ temperature: 0, sequence: 0, position: 0 }],
      7,
    );
    expect(tiny.results[0]?.top.length).toBe(7);
    expect(tiny.words[8 + 7]).toBe(SAMPLER_NONE);
    expect(tiny.words.length).toBe(SAMPLER_OUT_WORDS);
    // The tuner's view of the op records valid work (no validation error).
    const t = samplerTunable(ctx, { rows: 2, vocab: 3001 });
    const config = t.candidates[t.defaultIndex];
    if (!config) throw new Error('no default candidate');
    await t.prepare(config);
    ctx.device.pushErrorScope('validation');
    const enc = ctx.device.createCommandEncoder();
    t.encode(enc, config);
    ctx.device.queue.submit([enc.finish()]);
    await ctx.device.queue.onSubmittedWorkDone();
    expect(await ctx.device.popErrorScope()).toBeNull();
    t.dispose?.();
  });

  it('draws from the filtered softmax (chi-square over many seeds)', async () => {
    const ctx = await testKernelContext();
    // The smallest sort (SORT_N 512) keeps this 1000-row test short on a CPU adapter.
    const op = await SamplerOp.prepare(ctx, { config: { WG: 64, SORT_N: 512 } });
    // A fixed seed: this test is statistical, and a fixed stream makes it deterministic.
    const rand = seededRandom(20261128);
    const vocab = 300;
    const rows = 1200;
    const row = new Float32Array(vocab);
    for (let i = 0; i < vocab; i++) row[i] = i < 30 ? 2 * rand() : -1 - 3 * rand();
    const logits = new Float32Array(rows * vocab);
    for (let r = 0; r < rows; r++) logits.set(row, r * vocab);
    const shapes: Omit<SamplerRowParams, 'sequence' | 'position' | 'seed'>[] = [
      { temperature: 0.9 }, // full-vocabulary Gumbel sweep
      { temperature: 1.2, topK: 25, topP: 0.8 },
      {
        temperature: 0.7,
        minP: 0.1,
        repetitionPenalty: 1.3,
        tokenCounts: new Map([
          [3, 1],
          [7, 2],
        ]),
        bannedTokens: [0],
      },
    ];
    for (const shape of shapes) {
      const params = Array.from({ length: rows }, (_, r) => ({
        ...shape,
        sequence: r % 17,
        position: r,
        seed: 99,
      }));
      const { results } = await runSampler(ctx, op, logits, params, vocab, 128);
      const expected = sampleReference(row, params[0] as SamplerRowParams, 128).distribution;
      const counts = new Map<number, number>();
      for (const r of results) counts.set(r.token, (counts.get(r.token) ?? 0) + 1);
      for (const t of counts.keys()) expect(expected.has(t), `token ${t} outside the kept set`).toBe(true);
      // Bins with expected count ≥ 5; the rest pooled into one.
      let chi = 0;
      let bins = 0;
      let pooledE = 0;
      let pooledO = 0;
      for (const [t, p] of expected) {
        const e = p * rows;
        const o = counts.get(t) ?? 0;
        if (e >= 5) {
          chi += (o - e) ** 2 / e;
          bins++;
        } else {
          pooledE += e;
          pooledO += o;
        }
      }
      if (pooledE > 0) {
        chi += (pooledO - pooledE) ** 2 / pooledE;
        bins++;
      }
      const df = bins - 1;
      // χ² critical value at p = 0.001 (Wilson–Hilferty, z = 3.09).
      const crit = df * (1 - 2 / (9 * df) + 3.09 * Math.sqrt(2 / (9 * df))) ** 3;
      expect(
        chi,
        `${JSON.stringify({ ...shape, tokenCounts: undefined })}: χ² ${chi.toFixed(1)} with ${df} df`,
      ).toBeLessThan(crit);
    }
  });

  it('runs the same Philox4x32-10 stream in WGSL as on the CPU (Random123 known answers, Gumbel noise)', async () => {
    const ctx = await testKernelContext();
    const { device } = ctx;
    const probe = `${kernelSources['sampling/common.wgsl']}
@group(0) @binding(0) var<storage, read> io: array<u32>;
@group(0) @binding(1) var<storage, read_write> res: array<u32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = id.x;
  if (i >= arrayLength(&io) / 6u) { return; }
  let b = 6u * i;
  let o = philox4x32_10(vec4u(io[b], io[b + 1u], io[b + 2u], io[b + 3u]), vec2u(io[b + 4u], io[b + 5u]));
  res[5u * i] = o.x; res[5u * i + 1u] = o.y; res[5u * i + 2u] = o.z; res[5u * i + 3u] = o.w;
  res[5u * i + 4u] = bitcast<u32>(gumbel(vec2u(io[b + 4u], io[b + 5u]), io[b + 2u], io[b + 1u], io[b]));
}`;
    const { pipeline } = await ctx.pipelines.get({ name: 'test/philox', source: probe });
    const rand = seededRandom(seed);
    const inputs: number[][] = [
      [0, 0, 0, 0, 0, 0],
      [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
      [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0],
    ];
    for (let i = 0; i < 200; i++) inputs.push(Array.from({ length: 6 }, () => Math.floor(rand() * 2 ** 32)));
    const io = uploadBuffer(device, new Uint32Array(inputs.flat()));
    const res = poisonedBuffer(device, inputs.length * 20);
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(
      0,
      device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: io } },
          { binding: 1, resource: { buffer: res } },
        ],
      }),
    );
    pass.dispatchWorkgroups(Math.ceil(inputs.length / 64));
    pass.end();
    device.queue.submit([enc.finish()]);
    const words = new Uint32Array(await readBuffer(device, res));
    const noise = await readF32(device, res);
    expect(Array.from(words.subarray(0, 4))).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
    expect(Array.from(words.subarray(10, 14))).toEqual([0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]);
    inputs.forEach((v, i) => {
      const [c0, c1, c2, c3, k0, k1] = v as [number, number, number, number, number, number];
      expect(Array.from(words.subarray(5 * i, 5 * i + 4)), `seed ${seed} input ${i}`).toEqual(
        philox4x32_10([c0, c1, c2, c3], [k0, k1]),
      );
      // gumbel(seed, sequence = c2, position = c1, token = c0): f32 log vs float64; 24-bit uniforms.
      const g = streamGumbel([k0, k1], c2, c1, c0);
      expect(Math.abs((noise[5 * i + 4] as number) - g), `seed ${seed} gumbel ${i}`).toBeLessThan(
        1e-4 * Math.max(1, Math.abs(g)),
      );
    });
  });
});
