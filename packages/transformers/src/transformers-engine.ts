// Ruminate's Engine contract over transformers.js: one ONNX causal LM loaded with
// `AutoModelForCausalLM`, its tokenizer and chat template from the model's own files, and each
// sequence's past key values held as plain arrays, so that `fork` shares them, `truncate` shortens
// them, and `step` runs every listed sequence through one forward (left-padded rows, see
// past-batch.ts). Tokens are sampled by the runtime's CPU sampler, so seeds, penalties and
// log-probabilities mean what they mean on Ruminate's own backends.
import type * as Transformers from '@huggingface/transformers';
import { RuminateError } from '@ruminate/errors';
import {
  type ChatMessage,
  CpuSampler,
  type Engine,
  type LoadOptions,
  type LoadProgress,
  type MemoryReport,
  type ModelInfo,
  type ModelSource,
  type SeqId,
  type StepRequest,
  type StepResult,
  samplerRowParams,
  toSampledToken,
} from '@ruminate/runtime';
import { type CausalLmConfig, parameterCount, readCausalLmConfig } from './model-config.ts';
import { resolveModelSource } from './model-source.ts';
import { type BatchRow, type CacheShape, layoutBatch, type Past, splitPresent } from './past-batch.ts';

/** Where transformers.js computes: its WebGPU or WebAssembly backend (`cpu` is onnxruntime-node, in Node). */
export type TransformersDevice = 'webgpu' | 'wasm' | 'cpu';

/** Options of `transformersEngine`. */
export interface TransformersEngineOptions {
  /** Device when `load` is not given a backend (default `wasm`); a load's `backend: 'webgpu' | 'wasm'` overrides it. */
  device?: TransformersDevice;
  /** Where onnxruntime-web's wasm files are served (default: transformers.js's CDN, which an offline page cannot reach). */
  wasmPaths?: string | { mjs: string; wasm: string };
  /** Weight dtype, choosing the ONNX file (`fp32` → onnx/model.onnx, `q8` → model_quantized.onnx, …); default: the model's config. */
  dtype?: 'auto' | 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4' | 'bnb4' | 'q4f16';
  /** Let transformers.js fetch Hub ids and other origins' URLs (default false: local and same-origin folders only). */
  allowRemoteModels?: boolean;
  /** Cached tokens all sequences may hold together before `kv-cache-full` (default 64 × the context length). */
  maxCachedTokens?: number;
  /** WebAssembly threads of onnxruntime-web (default: its own choice). */
  wasmThreads?: number;
  /** How to import the library (default: `import('@huggingface/transformers')`). */
  library?: () => Promise<typeof Transformers>;
}

interface Sequence {
  tokens: number[];
  cached: number;
  past: Past | undefined;
}

interface Loaded {
  lib: typeof Transformers;
  model: Transformers.PreTrainedModel;
  tokenizer: Transformers.PreTrainedTokenizer;
  config: CausalLmConfig;
  shape: CacheShape;
  eos: Set<number>;
  info: ModelInfo;
}

/** A transformers.js tensor's floats, downloading it first when it lives on the GPU. */
async function floats(t: Transformers.Tensor): Promise<Float32Array> {
  const data = t.location === 'gpu-buffer' ? await t.ort_tensor.getData(true) : t.data;
  if (!(data instanceof Float32Array)) {
    throw new RuminateError(
      'engine-unsupported',
      `The model returned ${t.type} tensors; the engine reads float32 logits and caches.`,
    );
  }
  return data;
}

/** The Engine contract over transformers.js. */
export class TransformersEngine implements Engine {
  private readonly opts: TransformersEngineOptions;
  private current: Loaded | undefined;
  private readonly seqs = new Map<SeqId, Sequence>();
  private nextId = 1;
  private readonly sampler = new CpuSampler();
  private queue: Promise<unknown> = Promise.resolve();
  /** Set by abort() while a step runs; the step stops before its next forward pass. */
  private stopRequested = false;
  private stepping = false;

  constructor(opts: TransformersEngineOptions = {}) {
    this.opts = opts;
  }

  async load(source: ModelSource, opts: LoadOptions = {}): Promise<ModelInfo> {
    const { id, remote } = resolveModelSource(source, this.opts.allowRemoteModels === true);
    const lib = await (this.opts.library ?? (() => import('@huggingface/transformers')))();
    lib.env.allowRemoteModels = remote;
    lib.env.allowLocalModels = true;
    const wasm = lib.env.backends.onnx.wasm;
    if (wasm && this.opts.wasmThreads !== undefined) wasm.numThreads = this.opts.wasmThreads;
    if (wasm && this.opts.wasmPaths !== undefined) wasm.wasmPaths = this.opts.wasmPaths;
    const device: TransformersDevice =
      opts.backend === 'webgpu' || opts.backend === 'wasm' ? opts.backend : (this.opts.device ?? 'wasm');
    const progress = opts.onProgress;
    const progress_callback = progress
      ? (p: Transformers.ProgressInfo) => {
          if (p.status === 'progress') progress({ phase: 'download', done: p.loaded, total: p.total });
        }
      : undefined;
    let model: Transformers.PreTrainedModel;
    let tokenizer: Transformers.PreTrainedTokenizer;
    try {
      tokenizer = await lib.AutoTokenizer.from_pretrained(id, progress_callback ? { progress_callback } : {});
      model = await lib.AutoModelForCausalLM.from_pretrained(id, {
        device,
        ...(this.opts.dtype ? { dtype: this.opts.dtype } : {}),
        ...(progress_callback ? { progress_callback } : {}),
      });
    } catch (e) {
      throw new RuminateError(
        'fetch-failed',
        `transformers.js could not load "${id}" on ${device}: ${String(e)}`,
        { cause: e },
      );
    }
    if (opts.signal?.aborted) {
      await model.dispose();
      throw new RuminateError('aborted', 'The load was aborted; the previous model stays loaded.');
    }
    const session = (model.sessions as Record<string, { inputNames: string[] }>).model;
    if (!session?.inputNames.some((n) => n.startsWith('past_key_values.'))) {
      await model.dispose();
      throw new RuminateError(
        'engine-unsupported',
        `"${id}" has no past_key_values inputs; the engine needs a decoder exported with its KV cache (e.g. optimum's text-generation-with-past, or Ruminate's GGUF → ONNX converter).`,
      );
    }
    const config = readCausalLmConfig(
      model.config as unknown as Record<string, unknown>,
      (model as unknown as { generation_config?: Record<string, unknown> }).generation_config,
    );
    const contextLength = Math.min(opts.contextLength ?? config.contextLength, config.contextLength);
    const info: ModelInfo = {
      architecture: config.modelType,
      name: id.split('/').pop(),
      parameters: parameterCount(config),
      vocabSize: config.vocab,
      contextLength,
      trainedContextLength: config.contextLength,
      weightType: this.opts.dtype ?? 'fp32',
      eosTokenIds: config.eos,
      weightBytes: 0,
      hasChatTemplate: Boolean((tokenizer as unknown as { chat_template?: unknown }).chat_template),
      backend: device === 'webgpu' ? 'webgpu' : 'wasm',
    };
    await this.unload();
    this.current = {
      lib,
      model,
      tokenizer,
      config,
      shape: { layers: config.layers, kvHeads: config.kvHeads, headDim: config.headDim },
      eos: new Set(config.eos),
      info,
    };
    return info;
  }

  /** `load` with the progress callback as its own argument, for the worker path (functions cannot travel inside options). */
  async loadWithProgress(
    source: ModelSource,
    opts: Omit<LoadOptions, 'onProgress' | 'signal'>,
    onProgress?: (p: LoadProgress) => void,
  ): Promise<ModelInfo> {
    return this.load(source, onProgress ? { ...opts, onProgress: (p) => void onProgress(p) } : opts);
  }

  /** Stops the running step before its next forward pass (it rejects with `aborted`); nothing when none runs. */
  async abort(): Promise<void> {
    if (this.stepping) this.stopRequested = true;
  }

  /** The worker path's tuning report: transformers.js tunes nothing, so there is none. */
  async whenTuned(): Promise<undefined> {
    return undefined;
  }

  private need(): Loaded {
    if (!this.current) throw new RuminateError('not-loaded', 'No model is loaded; call load() first.');
    return this.current;
  }

  private seq(id: SeqId): Sequence {
    const s = this.seqs.get(id);
    if (!s)
      throw new RuminateError(
        'unknown-sequence',
        `Sequence ${id} does not exist (freed, or never created).`,
        { field: 'seq' },
      );
    return s;
  }

  private checkTokens(tokens: readonly number[], field: string): void {
    const vocab = this.need().config.vocab;
    for (const t of tokens) {
      if (!(Number.isInteger(t) && t >= 0 && t < vocab)) {
        throw new RuminateError(
          'invalid-argument',
          `Token id ${t} is outside the vocabulary (0..${vocab - 1}).`,
          { field },
        );
      }
    }
  }

  async tokenize(text: string, opts: { special?: boolean; addBos?: boolean } = {}): Promise<number[]> {
    return this.need().tokenizer.encode(text, { add_special_tokens: opts.addBos ?? false });
  }

  async detokenize(ids: number[]): Promise<string> {
    if (ids.length === 0) return '';
    this.checkTokens(ids, 'ids');
    const text = this.need().tokenizer.decode(ids, { skip_special_tokens: true });
    return text.replace(/\uFFFD+$/, ''); // an incomplete UTF-8 character is held back, as the contract says
  }

  async applyChatTemplate(
    messages: ChatMessage[],
    opts: { addGenerationPrompt?: boolean } = {},
  ): Promise<number[]> {
    const { tokenizer } = this.need();
    let text: string;
    try {
      text = tokenizer.apply_chat_template(messages as Transformers.Message[], {
        tokenize: false,
        add_generation_prompt: opts.addGenerationPrompt ?? true,
      }) as string;
    } catch (e) {
      const missing = !(tokenizer as unknown as { chat_template?: unknown }).chat_template;
      throw new RuminateError(
        missing ? 'chat-template-missing' : 'chat-template-failed',
        missing
          ? "The model's tokenizer_config.json has no chat_template."
          : `The chat template failed: ${String(e)}`,
        { cause: e },
      );
    }
    const ids = tokenizer.encode(text, { add_special_tokens: true });
    const bos = tokenizer.bos_token_id;
    return bos !== undefined && ids.length >= 2 && ids[0] === bos && ids[1] === bos ? ids.slice(1) : ids;
  }

  async createSequence(prompt: number[]): Promise<SeqId> {
    this.need();
    if (prompt.length === 0)
      throw new RuminateError('invalid-argument', 'A sequence needs at least one prompt token.', {
        field: 'prompt',
      });
    this.checkTokens(prompt, 'prompt');
    this.checkRoom(prompt.length);
    const id = this.nextId++;
    this.seqs.set(id, { tokens: [...prompt], cached: 0, past: undefined });
    return id;
  }

  async fork(seq: SeqId, count: number): Promise<SeqId[]> {
    const s = this.seq(seq);
    if (!(Number.isInteger(count) && count >= 1)) {
      throw new RuminateError('invalid-argument', `fork count must be a positive integer, got ${count}.`, {
        field: 'count',
      });
    }
    // Pasts are never written in place (a step makes new arrays), so forks share them as they are.
    return Array.from({ length: count }, () => {
      const id = this.nextId++;
      this.seqs.set(id, { tokens: [...s.tokens], cached: s.cached, past: s.past });
      return id;
    });
  }

  async truncate(seq: SeqId, length: number): Promise<void> {
    const s = this.seq(seq);
    if (!(Number.isInteger(length) && length >= 0 && length <= s.tokens.length)) {
      throw new RuminateError('invalid-argument', `Cannot truncate ${s.tokens.length} tokens to ${length}.`, {
        field: 'length',
      });
    }
    s.tokens.length = length;
    s.cached = Math.min(s.cached, length);
  }

  async append(seq: SeqId, tokens: number[]): Promise<void> {
    const s = this.seq(seq);
    this.checkTokens(tokens, 'tokens');
    if (s.tokens.length + tokens.length > this.need().info.contextLength) {
      throw new RuminateError(
        'context-overflow',
        `Sequence ${seq} would pass the ${this.need().info.contextLength}-token context.`,
      );
    }
    s.tokens.push(...tokens);
  }

  async free(seq: SeqId): Promise<void> {
    this.seq(seq);
    this.seqs.delete(seq);
  }

  async tokens(seq: SeqId): Promise<number[]> {
    return [...this.seq(seq).tokens];
  }

  step(batch: StepRequest[]): Promise<StepResult[]> {
    const run = this.queue.then(() => this.runStep(batch));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private validate(batch: readonly StepRequest[]): void {
    const seen = new Set<SeqId>();
    const ctx = this.need().info.contextLength;
    for (const r of batch) {
      if (seen.has(r.seq))
        throw new RuminateError('invalid-argument', `Sequence ${r.seq} is listed twice in one step.`, {
          field: 'seq',
        });
      seen.add(r.seq);
      const s = this.seq(r.seq);
      if (s.tokens.length + 1 > ctx) {
        throw new RuminateError(
          'context-overflow',
          `Sequence ${r.seq} holds ${s.tokens.length} tokens; another would pass the ${ctx}-token context.`,
        );
      }
      const t = r.sampling.temperature;
      if (!(t >= 0) || !Number.isFinite(t)) {
        throw new RuminateError('invalid-argument', `temperature must be a finite number ≥ 0, got ${t}.`, {
          field: 'temperature',
        });
      }
      if (r.forceToken !== undefined) this.checkTokens([r.forceToken], 'forceToken');
      const k = r.want?.topLogprobs;
      if (k !== undefined && !(Number.isInteger(k) && k >= 0 && k <= 20)) {
        throw new RuminateError('invalid-argument', `topLogprobs must be an integer in 0..20, got ${k}.`, {
          field: 'topLogprobs',
        });
      }
    }
  }

  private async runStep(batch: readonly StepRequest[]): Promise<StepResult[]> {
    this.validate(batch);
    this.stepping = true;
    this.stopRequested = false;
    try {
      return await this.runPasses(batch);
    } finally {
      this.stepping = false;
      this.stopRequested = false;
    }
  }

  private async runPasses(batch: readonly StepRequest[]): Promise<StepResult[]> {
    const m = this.need();
    for (const r of batch) {
      const s = this.seq(r.seq);
      if (s.cached >= s.tokens.length) s.cached = s.tokens.length - 1; // the last token is run again for its logits
    }
    // Decoding rows (one new token) and prefilling rows run as two passes, so a long prompt does not
    // make every decoding row recompute that many cached tokens.
    const decoding = batch.filter((r) => this.seq(r.seq).tokens.length - this.seq(r.seq).cached === 1);
    const prefilling = batch.filter((r) => !decoding.includes(r));
    const results = new Map<SeqId, StepResult>();
    for (const group of [decoding, prefilling]) {
      if (group.length === 0) continue;
      if (this.stopRequested) {
        // Rows already passed keep their computed past; none got a token, so the step can be retried.
        throw new RuminateError(
          'aborted',
          'The step was aborted; the sequences keep their tokens and the step can be retried.',
        );
      }
      for (const r of await this.pass(m, group)) results.set(r.seq, r);
    }
    return batch.map((r) => {
      const out = results.get(r.seq) as StepResult;
      this.seq(r.seq).tokens.push(out.token);
      return out;
    });
  }

  /** One forward over `group`, then each row's past kept and its next token sampled. */
  private async pass(m: Loaded, group: readonly StepRequest[]): Promise<StepResult[]> {
    const rows: BatchRow[] = group.map((r) => this.seq(r.seq));
    const feeds = layoutBatch(rows, m.shape);
    const { Tensor } = m.lib;
    const { batch, newTokens, pastSlots } = feeds;
    const { kvHeads, headDim } = m.shape;
    const past: Record<string, Transformers.Tensor> = {};
    feeds.past.forEach((data, a) => {
      const name = `past_key_values.${a >> 1}.${a & 1 ? 'value' : 'key'}`;
      past[name] = new Tensor('float32', data, [batch, kvHeads, pastSlots, headDim]);
    });
    const outputs = (await m.model.forward({
      input_ids: new Tensor('int64', feeds.inputIds, [batch, newTokens]),
      attention_mask: new Tensor('int64', feeds.attentionMask, [batch, pastSlots + newTokens]),
      position_ids: new Tensor('int64', feeds.positionIds, [batch, newTokens]),
      past_key_values: past,
    })) as Record<string, Transformers.Tensor>;
    const present: Float32Array[] = [];
    for (let a = 0; a < 2 * m.shape.layers; a++) {
      const t = outputs[`present.${a >> 1}.${a & 1 ? 'value' : 'key'}`];
      if (!t)
        throw new RuminateError(
          'engine-unsupported',
          `The model did not return present.${a >> 1}.* key/values.`,
        );
      present.push(await floats(t));
      t.dispose();
    }
    const logitsTensor = outputs.logits;
    if (!logitsTensor) throw new RuminateError('engine-unsupported', 'The model did not return logits.');
    const logits = await floats(logitsTensor);
    logitsTensor.dispose();
    const vocab = m.config.vocab;
    const slots = pastSlots + newTokens;
    return group.map((r, b) => {
      const s = this.seq(r.seq);
      s.past = splitPresent(present, b, s.tokens.length, slots, m.shape);
      s.cached = s.tokens.length;
      const at = (b * newTokens + newTokens - 1) * vocab;
      const penalties =
        r.sampling.repetitionPenalty || r.sampling.frequencyPenalty || r.sampling.presencePenalty;
      const params = samplerRowParams({
        row: b,
        params: r.sampling,
        stream: r.seq,
        position: s.tokens.length,
        want: r.want,
        forceToken: r.forceToken,
        history: penalties ? [...s.tokens] : undefined,
      });
      const sampled = toSampledToken(this.sampler.sampleRow(logits.subarray(at, at + vocab), params), r.want);
      return { seq: r.seq, ...sampled, eos: m.eos.has(sampled.token) };
    });
  }

  private bytesPerToken(): number {
    const { layers, kvHeads, headDim } = this.need().shape;
    return 2 * layers * kvHeads * headDim * 4;
  }

  private cachedTokens(): number {
    const seen = new Set<Past>();
    let tokens = 0;
    for (const s of this.seqs.values()) {
      if (s.past && !seen.has(s.past)) {
        seen.add(s.past);
        tokens += s.past.stride;
      }
    }
    return tokens;
  }

  private maxCachedTokens(): number {
    return this.opts.maxCachedTokens ?? 64 * this.need().info.contextLength;
  }

  private checkRoom(tokens: number): void {
    if (this.cachedTokens() + tokens > this.maxCachedTokens()) {
      throw new RuminateError(
        'kv-cache-full',
        `The sequences hold ${this.cachedTokens()} cached tokens of ${this.maxCachedTokens()}; free some, or raise maxCachedTokens.`,
      );
    }
  }

  async memory(): Promise<MemoryReport> {
    this.need();
    const used = this.cachedTokens();
    const max = this.maxCachedTokens();
    return {
      weightBytes: 0,
      kvBytes: max * this.bytesPerToken(),
      pageTokens: 1,
      bytesPerPage: this.bytesPerToken(),
      pagesUsed: used,
      pagesFree: Math.max(0, max - used),
      sequences: this.seqs.size,
      scratchBytes: 0,
    };
  }

  async info(): Promise<ModelInfo | undefined> {
    return this.current?.info;
  }

  async unload(): Promise<void> {
    const m = this.current;
    this.current = undefined;
    this.seqs.clear();
    if (m) await m.model.dispose();
  }
}

/** An Engine over transformers.js, for `createEngine({ engine: transformersEngine({ device: 'wasm' }) })`. */
export function transformersEngine(opts: TransformersEngineOptions = {}): TransformersEngine {
  return new TransformersEngine(opts);
}
