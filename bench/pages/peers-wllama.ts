// wllama's side of the peers benchmark (@wllama/wllama 3.x: llama.cpp's server context compiled
// to wasm, in its own worker). The wasm is served from /node_modules/; the page is cross-origin
// isolated, so wllama uses its multi-thread build with n_threads = navigator.hardwareConcurrency
// (its default is half the cores). `n_gpu_layers: 0` selects its CPU (wasm SIMD) path; leaving it
// out offloads every layer to its WebGPU backend (which needs JSPI in the browser). Rates are
// llama.cpp's own `timings` (prompt_per_second, predicted_per_second); TTFT is the page's clock
// to the first streamed chunk. The samples figure: N completions of the samples prompt one after
// another (wllama has no batched API for one prompt), each with its seed, prompt cache on (so
// only the first prefills, as llama-server does), not streamed; wall time on the page's clock.
import { LoggerWithoutDebug, type RawCompletionChunk, type ResultTimings, Wllama } from '@wllama/wllama';
import { median } from '../peers/median.ts';
import type { EngineRun, PeersPageRequest, SamplesRun } from '../peers/types.ts';

const WASM = '/node_modules/@wllama/wllama/esm/wasm/wllama.wasm';

/** Runs wllama on `req`: its wasm CPU path with `threads` threads, or its WebGPU path (`gpu`). */
export async function runWllama(
  req: PeersPageRequest,
  opts: { gpu: boolean; threads: number },
  status: (s: string) => void,
): Promise<EngineRun> {
  const { gpu, threads } = opts;
  const logs: string[] = [];
  const keep = (...args: unknown[]) => {
    const line = args.map(String).join(' ');
    if (/webgpu|ggml_backend|offload|Multithread|device|adapter|backend|layers to GPU/i.test(line))
      logs.push(line.slice(0, 160));
  };
  const wllama = new Wllama(
    { default: WASM },
    {
      logger: { ...LoggerWithoutDebug, debug: keep, log: keep, warn: keep, error: console.error },
      allowOffline: false,
    },
  );
  const label = gpu ? 'wllama (webgpu)' : `wllama (wasm, ${threads} thread${threads === 1 ? '' : 's'})`;
  try {
    status(`${label}: loading`);
    const t0 = performance.now();
    await wllama.loadModelFromUrl(req.url, {
      n_ctx: Math.max(req.prompt.length + req.decodeTokens, req.samplesPrompt.length + req.sampleTokens) + 32,
      n_threads: threads,
      n_batch: 512,
      ...(gpu ? {} : { n_gpu_layers: 0 }),
      useCache: false,
    });
    const loadMs = performance.now() - t0;

    /** One greedy completion from the prompt's token ids; the prompt cache is off so every run prefills. */
    const complete = async () => {
      const ts = performance.now();
      let firstMs = Number.NaN;
      let text = '';
      let timings: ResultTimings | undefined;
      // wllama's glue takes the prompt as text only (token ids are refused); the CLI picked a
      // text that tokenizes to exactly Ruminate's ids. `cache_prompt` goes to llama-server.
      const stream = await wllama.createCompletion({
        prompt: req.promptText,
        max_tokens: req.decodeTokens,
        temperature: 0,
        ignore_eos: true,
        cache_prompt: false,
        stream: true,
      } as Parameters<Wllama['createCompletion']>[0] & { stream: true });
      for await (const chunk of stream as AsyncIterable<RawCompletionChunk>) {
        if (Number.isNaN(firstMs)) firstMs = performance.now() - ts;
        text += chunk.choices[0]?.text ?? '';
        if (chunk.timings) timings = chunk.timings;
      }
      const wallDecodeTokS = (req.decodeTokens - 1) / ((performance.now() - ts - firstMs) / 1000);
      if (!timings) throw new Error('wllama returned no timings');
      return { firstMs, text, timings, wallDecodeTokS };
    };

    status(`${label}: cold request`);
    const cold = await complete();
    const warm = [];
    for (let r = 0; r < req.runs; r++) {
      status(`${label}: run ${r + 1}/${req.runs}`);
      warm.push(await complete());
    }
    const first = warm[0] ?? cold;

    let samples: SamplesRun | { error: string };
    try {
      status(`${label}: ${req.samples} samples of ${req.sampleTokens} tokens, one after another`);
      const texts: string[] = [];
      let cached = 0;
      const t = performance.now();
      for (let k = 0; k < req.samples; k++) {
        const r = await wllama.createCompletion({
          prompt: req.samplesPromptText,
          max_tokens: req.sampleTokens,
          temperature: 1,
          seed: 2000 + k,
          ignore_eos: true,
          cache_prompt: true,
        } as Parameters<Wllama['createCompletion']>[0] & { stream?: false });
        texts.push(r.choices[0]?.text ?? '');
        cached = Math.max(cached, r.timings?.cache_n ?? 0);
      }
      samples = {
        samples: req.samples,
        tokens: req.sampleTokens,
        wallMs: performance.now() - t,
        distinct: new Set(texts).size,
        how: `${req.samples} completions one after another, prompt cache on (up to ${cached} prompt tokens reused)`,
      };
    } catch (e) {
      samples = { error: (e as Error).message };
    }
    return {
      engine: label,
      loadMs,
      ttftMs: cold.firstMs,
      prefillTokS: median(warm.map((w) => w.timings.prompt_per_second)),
      decodeTokS: median(warm.map((w) => w.timings.predicted_per_second)),
      timingSource: 'engine',
      promptTokens: first.timings.prompt_n,
      decodeTokens: first.timings.predicted_n,
      text: first.text,
      threads: wllama.getNumThreads(),
      samples,
      notes: [
        `multithread ${wllama.isMultithread()}, ${wllama.getNumThreads()} threads`,
        ...(gpu
          ? [
              logs.some((l) => /Failed to get an adapter/i.test(l))
                ? 'its WebGPU backend found no adapter: this ran on the CPU'
                : 'its WebGPU backend got an adapter (no "Failed to get an adapter" line, which CPU runs print)',
            ]
          : []),
        `cached prompt tokens ${first.timings.cache_n}`,
        `page-clock decode ${median(warm.map((w) => w.wallDecodeTokS)).toFixed(1)} tok/s (incl. streaming to the page)`,
        ...logs.slice(0, 12),
      ],
    };
  } finally {
    await wllama.exit().catch(() => undefined);
  }
}
