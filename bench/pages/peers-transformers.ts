// transformers.js's side of the peers benchmark (@huggingface/transformers 4, onnxruntime-web):
// the same GGUF converted to ONNX by Ruminate's converter (the q4 file, whose q4_0 matrices stay
// 4-bit as MatMulNBits, for a q4_0 GGUF; else fp32 weights dequantized from the GGUF: the numbers
// are the GGUF's either way), loaded with AutoModelForCausalLM on its wasm device (threads =
// navigator.hardwareConcurrency, the page being cross-origin isolated) or its WebGPU device, on
// this page's main thread. Figures use the library's own `generate` (its KV cache, its batching):
// a cold one-token request (TTFT), then per timed run a one-token request (prefill: prompt tokens
// over its time) and a `decodeTokens` request (decode: the extra tokens over the extra time), and
// the samples figure as one batched `generate` of N copies of the samples prompt (do_sample,
// temperature 1; transformers.js draws from Math.random, so it has no seed).
import {
  AutoModelForCausalLM,
  env,
  type PreTrainedModel,
  PreTrainedTokenizer,
  Tensor,
} from '@huggingface/transformers';
import { median } from '../peers/median.ts';
import type { EngineRun, PeersPageRequest, SamplesRun } from '../peers/types.ts';

/** Where the bench site serves onnxruntime-web's wasm files (vite.config.ts copies them). */
const ORT = '/bench/ort/';

const ids = (rows: number[][]) =>
  new Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [rows.length, rows[0]?.length ?? 0]);

/** Runs transformers.js on `req` (its converted folder at `req.onnxUrl`) on `device`. */
export async function runTransformers(
  req: PeersPageRequest,
  device: 'wasm' | 'webgpu',
  status: (s: string) => void,
): Promise<EngineRun> {
  if (!req.onnxUrl) throw new Error('no ONNX folder for this model (the converter refused it)');
  const threads = navigator.hardwareConcurrency || 1;
  const dtype = req.onnxDtype ?? 'fp32';
  const label =
    device === 'wasm'
      ? `transformers.js (wasm, ${dtype}, ${threads} thread${threads === 1 ? '' : 's'})`
      : `transformers.js (webgpu, ${dtype})`;
  const say = (s: string) => status(`${label}: ${s}`);
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.useBrowserCache = false;
  const wasm = env.backends.onnx.wasm;
  if (wasm) {
    wasm.wasmPaths = {
      mjs: `${ORT}ort-wasm-simd-threaded.asyncify.mjs`,
      wasm: `${ORT}ort-wasm-simd-threaded.asyncify.wasm`,
    };
    wasm.numThreads = threads;
  }
  say('loading');
  const t0 = performance.now();
  const model: PreTrainedModel = await AutoModelForCausalLM.from_pretrained(req.onnxUrl, {
    device,
    dtype,
  });
  const loadMs = performance.now() - t0;
  try {
    const tokenizer = await PreTrainedTokenizer.from_pretrained(req.onnxUrl);
    const generate = async (rows: number[][], tokens: number, sample: boolean) => {
      const t = performance.now();
      const out = (await model.generate({
        inputs: ids(rows),
        attention_mask: new Tensor(
          'int64',
          new BigInt64Array(rows.length * (rows[0]?.length ?? 0)).fill(1n),
          [rows.length, rows[0]?.length ?? 0],
        ),
        max_new_tokens: tokens,
        min_new_tokens: tokens,
        do_sample: sample,
        ...(sample ? { temperature: 1, top_k: 0 } : {}),
      } as Parameters<PreTrainedModel['generate']>[0])) as Tensor;
      const ms = performance.now() - t;
      const width = out.dims[1] as number;
      const data = Array.from(out.data as BigInt64Array, Number);
      const rowsOut = rows.map((_, b) => data.slice(b * width + (rows[0]?.length ?? 0), (b + 1) * width));
      return { ms, rowsOut };
    };
    say('cold request');
    const cold = await generate([req.prompt], 1, false);
    const prefill: number[] = [];
    const decode: number[] = [];
    let text = '';
    for (let r = 0; r < req.runs; r++) {
      say(`run ${r + 1}/${req.runs}`);
      const one = await generate([req.prompt], 1, false);
      const full = await generate([req.prompt], req.decodeTokens, false);
      prefill.push(req.prompt.length / (one.ms / 1000));
      decode.push((req.decodeTokens - 1) / ((full.ms - one.ms) / 1000));
      if (r === 0) text = tokenizer.decode(full.rowsOut[0] ?? [], { skip_special_tokens: true });
    }
    let samples: SamplesRun | { error: string };
    try {
      say(`${req.samples} samples of ${req.sampleTokens} tokens, one batched generate`);
      const batch = Array.from({ length: req.samples }, () => req.samplesPrompt);
      const s = await generate(batch, req.sampleTokens, true);
      samples = {
        samples: req.samples,
        tokens: req.sampleTokens,
        wallMs: s.ms,
        distinct: new Set(s.rowsOut.map((r) => r.join(','))).size,
        how: `one generate() over a batch of ${req.samples} copies of the prompt (its own KV cache; no prefix sharing)`,
      };
    } catch (e) {
      samples = { error: (e as Error).message };
    }
    return {
      engine: label,
      loadMs,
      ttftMs: cold.ms,
      prefillTokS: median(prefill),
      decodeTokS: median(decode),
      timingSource: 'wall',
      promptTokens: req.prompt.length,
      decodeTokens: req.decodeTokens,
      text,
      threads: device === 'wasm' ? threads : 0,
      samples,
      notes: [
        dtype === 'q4'
          ? 'q4 ONNX from Ruminate’s GGUF → ONNX converter (the GGUF’s q4_0 blocks as MatMulNBits; other tensors fp32)'
          : 'fp32 ONNX from Ruminate’s GGUF → ONNX converter (the GGUF’s weights, dequantized)',
        device === 'wasm'
          ? `onnxruntime-web wasm, ${threads} threads, on the page’s main thread`
          : 'onnxruntime-web WebGPU EP',
      ],
    };
  } finally {
    await model.dispose();
  }
}
