// What the peers benchmark page returns for one engine on one model: timings measured in the
// same headless Chromium, same GGUF, same prompt token ids, greedy, same number of new tokens.

/** One engine's figures on one model (times in ms, rates in tokens per second). */
export interface EngineRun {
  /** Which engine and path, e.g. `ruminate (webgpu, worker)`, `wllama (wasm, 2 threads)`. */
  engine: string;
  /** From the call to "loaded": fetching the file from the local server, parsing, uploading. */
  loadMs: number;
  /** Ruminate: the engine's background kernel tuning after load, awaited before any timing (first visit; later visits reuse the winners). */
  tuneMs?: number;
  /** Cold: from submitting the first request after load to its first token (Ruminate: shader compilation included). */
  ttftMs: number;
  /** Warm: prompt tokens per second of the prefill pass (median of the timed runs). */
  prefillTokS: number;
  /** Warm: generated tokens per second of one sequence after its first token (median of the timed runs). */
  decodeTokS: number;
  /** The engine's own counters where it reports them (wllama: llama.cpp's `timings`), else the wall clock on the page. */
  timingSource: 'engine' | 'wall';
  /** Prompt tokens the engine processed (checked equal across engines). */
  promptTokens: number;
  /** Tokens generated per timed run. */
  decodeTokens: number;
  /** Greedy continuation of the first timed run, as text. */
  text: string;
  /** Extra facts (threads, backend, worker or page). */
  notes: string[];
  /** Ruminate: the backend the model ran on (forced with the `backend` load option). */
  backend?: 'webgpu' | 'wasm';
  /** Compute threads (Ruminate wasm: the engine's count and reason; wllama: its worker threads). */
  threads?: number;
  /** 16 samples of N tokens from one prompt, wall time (see SamplesRun). */
  samples?: SamplesRun | { error: string };
}

/**
 * N samples (temperature 1, one seed each) of `tokens` new tokens from one prompt the engine has
 * not seen before, wall time from submitting the prompt to the last token. Ruminate: one
 * prefill, fork, the N sequences stepped together; wllama: N completions one after another
 * (its prompt cache on, so only the first prefills).
 */
export interface SamplesRun {
  samples: number;
  /** New tokens per sample. */
  tokens: number;
  /** Wall time, ms. */
  wallMs: number;
  /** Distinct sample texts (or token lists) among the N: they should differ. */
  distinct: number;
  /** How it was run. */
  how: string;
}

/** Ruminate's batched figure: N sequences forked from one prefilled prompt, stepped together. */
export interface BatchRun {
  sequences: number;
  /** Total generated tokens per second over all sequences. */
  totalTokS: number;
  /** Total tok/s divided by the one-sequence decode tok/s of the same run. */
  overSingle: number;
  /** KV pages in use after forking (the shared prompt is stored once). */
  kvPagesUsed: number;
}

/** An engine that failed or was skipped, and why. */
export interface EngineFailure {
  engine: string;
  error: string;
}

/** What the page returns for one model. */
export interface PeersPageResult {
  /** Ruminate on its WebGPU backend (forced). */
  ruminate: EngineRun | EngineFailure;
  batch: BatchRun | { error: string };
  /** Ruminate on its WebAssembly backend (forced), same page, same worker setup. */
  ruminateWasm: EngineRun | EngineFailure;
  batchWasm: BatchRun | { error: string };
  /** wllama's configurations: wasm with all cores' threads, wasm with 1 thread, its WebGPU backend. */
  wllama: (EngineRun | EngineFailure)[];
  /** transformers.js on the converted ONNX: its wasm device, then its WebGPU device. */
  transformers: (EngineRun | EngineFailure)[];
  /** Page facts: user agent, hardwareConcurrency, cross-origin isolation, adapter. */
  page: { userAgent: string; hardwareConcurrency: number; crossOriginIsolated: boolean; adapter: string };
}

/** What the CLI asks the page to run. */
export interface PeersPageRequest {
  /** URL of the GGUF on the bench server. */
  url: string;
  /** Prompt token ids (BOS first when the model adds one), Ruminate's input. */
  prompt: number[];
  /** The same prompt as text, wllama's input (its tokenizer adds BOS; `promptTokens` in its run shows the count it got). */
  promptText: string;
  /** New tokens per timed run. */
  decodeTokens: number;
  /** Timed runs after the cold one (median reported). */
  runs: number;
  /** Sequences for the shared-prompt batch figure. */
  batch: number;
  /** The samples figure's prompt (a different text than `prompt`, so no engine has it cached). */
  samplesPrompt: number[];
  samplesPromptText: string;
  /** Samples from one prompt (16). */
  samples: number;
  /** New tokens per sample (32). */
  sampleTokens: number;
  /** Ruminate wasm threads (absent: the engine's default, every core where cross-origin isolated). */
  threads?: number;
  /** URL of the model converted to ONNX (the transformers.js folder), when the converter supports it. */
  onnxUrl?: string;
  /** Which of its files transformers.js loads: `q4` (onnx/model_q4.onnx, the GGUF's q4_0 matrices kept 4-bit) where the converter wrote one, else `fp32`. */
  onnxDtype?: 'fp32' | 'q4';
  /** Skip an engine: 'ruminate' | 'ruminate-wasm' | 'wllama-cpu' | 'wllama-cpu1' | 'wllama-webgpu' | 'transformers-wasm' | 'transformers-webgpu'. */
  skip: string[];
}
