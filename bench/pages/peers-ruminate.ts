// Ruminate's side of the peers benchmark, on the backend the page forces with the `backend` load
// option (WebGPU on the page's adapter, or WebAssembly on a pool of threads): load from a URL,
// a cold first request (time to first token, shader compilation included), warm timed runs
// of one greedy sequence, N sequences forked from one prefilled prompt stepped together, and
// the wall time of 16 samples from one new prompt (one prefill, fork, stepped together).
import { isRuminateError } from '@ruminate/errors';
import { RuminateEngine } from '@ruminate/runtime';
import { createWorkerEngine, type RemoteEngine } from '@ruminate/runtime/worker';
import { median } from '../peers/median.ts';
import type { BatchRun, EngineRun, PeersPageRequest } from '../peers/types.ts';

/** Starts the engine in a dedicated worker (peers-worker.ts); falls back to the page when the worker cannot start. */
async function startEngine(): Promise<{ engine: RemoteEngine; where: string; close: () => void }> {
  const worker = new Worker(new URL('./peers-worker.ts', import.meta.url), { type: 'module' });
  const { engine, close } = createWorkerEngine({ worker });
  try {
    // A round trip proves the worker is up (memory() before a load throws not-loaded, typed).
    await engine.memory().catch((e: unknown) => {
      if (isRuminateError(e, 'worker-failed')) throw e;
    });
    return { engine, where: 'web worker', close };
  } catch (e) {
    console.warn(`ruminate in a worker failed (${(e as Error).message}); running in the page`);
    const engine = new RuminateEngine({ maxSequences: 40 });
    return { engine, where: 'page (worker failed)', close: () => {} };
  }
}

/**
 * Runs Ruminate on `req` with the model on `backend`; returns the single-sequence run (with the
 * samples figure in it) and the shared-prompt batch run.
 */
export async function runRuminate(
  req: PeersPageRequest,
  backend: 'webgpu' | 'wasm',
  status: (s: string) => void,
): Promise<{ run: EngineRun; batch: BatchRun | { error: string } }> {
  const { engine, where, close } = await startEngine();
  const say = (s: string) => status(`ruminate ${backend}: ${s}`);
  try {
    say('loading');
    const loadOptions = {
      contextLength:
        Math.max(req.prompt.length + req.decodeTokens, req.samplesPrompt.length + req.sampleTokens) + 32,
      backend,
      ...(backend === 'wasm' && req.threads ? { threads: req.threads } : {}),
    };
    let t0 = performance.now();
    let info = await engine.load(req.url, loadOptions);
    let loadMs = performance.now() - t0;
    // The wasm backend times its kernels at a first visit, inside load (IndexedDB is empty in the
    // bench's fresh profile): that load's extra time is its tuning figure, and the load reported
    // is the next visit's, with the winners cached, like wllama's load with the model cached.
    // (A first visit's budget may leave shapes untimed; the next visit times them: reload until none is.)
    let wasmTuneMs: number | undefined;
    for (let visit = 0; backend === 'wasm' && visit < 4; visit++) {
      wasmTuneMs = (wasmTuneMs ?? 0) + (info.tuning?.ms ?? 0);
      if (!info.tuning?.timed) break;
      await engine.unload();
      t0 = performance.now();
      info = await engine.load(req.url, loadOptions);
      loadMs = performance.now() - t0;
    }
    if (info.backend && info.backend !== backend)
      throw new Error(`asked for the ${backend} backend, the engine loaded on ${info.backend}`);
    // The engine tunes its kernels for this model in the background after a load (IndexedDB
    // is empty in the bench's fresh profile, so this is a first visit); timing starts after.
    say('tuning kernels');
    const t1 = performance.now();
    const tuned = await engine.whenTuned();
    const tuneMs = performance.now() - t1;
    const tunedNote = tuned
      ? `kernels tuned for ${tuned.results.length} matmul shapes in ${(tuneMs / 1000).toFixed(1)} s`
      : 'shipped default kernels';
    const sampling = { temperature: 0, bannedTokens: info.eosTokenIds };

    /**
     * One greedy sequence: prefill (first token) then decodeTokens − 1 steps. Run r > 0 replaces
     * the first token: the engine keeps freed sequences' KV for prefix reuse, so the same prompt
     * again would prefill one token, not the prompt (wllama recomputes it: its prompt_n is checked).
     */
    const single = async (r: number) => {
      const prompt =
        r === 0 ? req.prompt : [((req.prompt[0] ?? 0) + r) % info.vocabSize, ...req.prompt.slice(1)];
      const ts = performance.now();
      const seq = await engine.createSequence(prompt);
      const [first] = await engine.step([{ seq, sampling }]);
      const firstMs = performance.now() - ts;
      const tokens = [first?.token ?? -1];
      const td = performance.now();
      for (let i = 1; i < req.decodeTokens; i++) {
        const [r] = await engine.step([{ seq, sampling }]);
        tokens.push(r?.token ?? -1);
      }
      const decodeMs = performance.now() - td;
      await engine.free(seq);
      return { firstMs, decodeMs, tokens };
    };

    say('cold request');
    const cold = await single(0);
    const warm = [];
    for (let r = 0; r < req.runs; r++) {
      say(`run ${r + 1}/${req.runs}`);
      warm.push(await single(r + 1));
    }
    const first = cold; // the benchmark prompt itself (warm runs change its first token)
    const decodeTokS = median(warm.map((w) => (req.decodeTokens - 1) / (w.decodeMs / 1000)));
    const threads = backend === 'wasm' ? info.threads?.count : undefined;
    const run: EngineRun = {
      engine: `ruminate (${backend}${threads ? `, ${threads} thread${threads === 1 ? '' : 's'}` : ''}, ${where})`,
      backend,
      ...(threads ? { threads } : {}),
      loadMs,
      ...(tuned ? { tuneMs } : wasmTuneMs !== undefined ? { tuneMs: wasmTuneMs } : {}),
      ttftMs: cold.firstMs,
      prefillTokS: median(warm.map((w) => req.prompt.length / (w.firstMs / 1000))),
      decodeTokS,
      timingSource: 'wall',
      promptTokens: req.prompt.length,
      decodeTokens: req.decodeTokens,
      text: await engine.detokenize(first.tokens),
      notes: [
        `${info.architecture} ${info.weightType}, ${(info.parameters / 1e6).toFixed(1)}M parameters`,
        `tokens ${first.tokens.join(',')}`,
        tunedNote,
        ...(info.threads ? [`threads ${info.threads.count}: ${info.threads.reason}`] : []),
      ],
    };

    let batch: BatchRun | { error: string };
    try {
      say(`${req.batch} sequences sharing the prompt`);
      const measureBatch = async (steps: number) => {
        const root = await engine.createSequence(req.prompt);
        await engine.step([{ seq: root, sampling }]);
        const seqs = [root, ...(await engine.fork(root, req.batch - 1))];
        const pages = (await engine.memory()).pagesUsed;
        const t = performance.now();
        // Sampled (temperature 1, one seed per sequence) so the samples diverge, as N drafts do.
        const each = seqs.map((seq, k) => ({
          seq,
          sampling: { ...sampling, temperature: 1, seed: 1000 + k },
        }));
        for (let i = 1; i < steps; i++) await engine.step(each);
        const ms = performance.now() - t;
        for (const s of seqs) await engine.free(s);
        return { totalTokS: (req.batch * (steps - 1)) / (ms / 1000), pages };
      };
      await measureBatch(2); // compiles the batch-sized kernels
      const timed = await measureBatch(req.decodeTokens);
      batch = {
        sequences: req.batch,
        totalTokS: timed.totalTokS,
        overSingle: timed.totalTokS / decodeTokS,
        kvPagesUsed: timed.pages,
      };
    } catch (e) {
      batch = { error: (e as Error).message };
    }

    /**
     * req.samples samples of req.sampleTokens tokens from `prompt`: the prompt less its last token
     * is prefilled once (the token that pass samples is dropped), then the last prompt token is
     * forked req.samples ways and the copies stepped together, so every sample draws its own
     * first token (temperature 1, seed 2000 + k). Wall time from createSequence to the last token.
     */
    const sampleRun = async (prompt: number[]) => {
      const t = performance.now();
      const root = await engine.createSequence(prompt.slice(0, -1));
      await engine.step([{ seq: root, sampling }]);
      await engine.truncate(root, prompt.length - 1);
      await engine.append(root, prompt.slice(-1));
      const seqs = [root, ...(await engine.fork(root, req.samples - 1))];
      const each = seqs.map((seq, k) => ({ seq, sampling: { ...sampling, temperature: 1, seed: 2000 + k } }));
      const tokens = seqs.map(() => [] as number[]);
      for (let i = 0; i < req.sampleTokens; i++) {
        const rs = await engine.step(each);
        for (const [k, r] of rs.entries()) tokens[k]?.push(r.token);
      }
      const wallMs = performance.now() - t;
      for (const s of seqs) await engine.free(s);
      return { wallMs, distinct: new Set(tokens.map((t) => t.join(','))).size };
    };
    try {
      say(`${req.samples} samples of ${req.sampleTokens} tokens from one prompt`);
      // Untimed warm-up on the same shapes with another first token (no prefix shared with the timed prompt).
      const p = req.samplesPrompt;
      await sampleRun([((p[0] ?? 0) + 7) % info.vocabSize, ...p.slice(1)]);
      const timed = await sampleRun(p);
      run.samples = {
        samples: req.samples,
        tokens: req.sampleTokens,
        wallMs: timed.wallMs,
        distinct: timed.distinct,
        how: `one prefill of ${p.length - 1} tokens, fork ${req.samples}, stepped together`,
      };
    } catch (e) {
      run.samples = { error: (e as Error).message };
    }
    await engine.unload();
    return { run, batch };
  } finally {
    close();
  }
}
