// The Engine (ARCHITECTURE.md), in-process: a GGUF model on WebGPU or the WebAssembly backend,
// with its tokenizer and chat template, paged KV sequences and batched steps. The worker entry
// exposes this same object.
import { isRuminateError, RuminateError } from '@ruminate/errors';
import {
  defaultTuningStore,
  type KernelContext,
  kernelContextFor,
  requestDevice,
  type TuneReport,
  Tuner,
  type TuningStore,
  tuningIdentity,
} from '@ruminate/gpu';
import { applyChatTemplate } from '../chat/chat-template.ts';
import { toolCallFormatOf } from '../chat/tool-call-format.ts';
import { ConstraintCompiler } from '../constraint/constraint-compiler.ts';
import { SequenceConstraints } from '../constraint/sequence-constraints.ts';
import type { Constraint, ConstraintInfo, JsonLayout } from '../constraint/types.ts';
import { parseGguf } from '../gguf/parse.ts';
import type { ByteSource } from '../gguf/types.ts';
import { checkModelFit, WASM_DEVICE_BUDGET } from '../loading/model-fit.ts';
import { createSourceOpener } from '../loading/source-opener.ts';
import { readHparams } from '../model/hparams.ts';
import { checkModelTensors } from '../model/tensor-names.ts';
import { Tokenizer } from '../tokenizer/tokenizer.ts';
import { type ModelTuningProgress, tuneModelKernels } from './kernel-tuning.ts';
import { type LoadedModel, loadModel } from './load-model.ts';
import { loadWasmModel } from './load-wasm-model.ts';
import type { SequenceEngine } from './sequence-engine.ts';
import type {
  BackendChoice,
  ChatMessage,
  Engine,
  LoadOptions,
  LoadProgress,
  MemoryReport,
  ModelInfo,
  ModelSource,
  SeqId,
  StepRequest,
  StepResult,
} from './types.ts';

/** How a RuminateEngine gets its device and its bytes. */
export interface RuminateEngineOptions {
  /** The kernel context to run on (default: a new device from requestDevice()). */
  kernelContext?: () => Promise<KernelContext>;
  /**
   * Kernel choices for the default context. `background` (default): serve the winners cached
   * for this device (IndexedDB in browsers, a JSON file in Node), and after each load tune the
   * model's uncached shapes within `tuningBudgetMs` while the shipped defaults serve; winners
   * take over at the next step and persist, so a second visit tunes nothing. `cache`: cached
   * winners only. `off`: the shipped defaults only.
   */
  tuning?: 'background' | 'cache' | 'off';
  /** Where winners persist (default: IndexedDB in browsers, `$RUMINATE_CACHE_DIR/tuning.json` in Node). */
  tuningStore?: TuningStore;
  /** Background tuning budget per load (default 30 000 ms; 15 000 ms on CPU adapters such as SwiftShader; on the wasm backend the timing at a first load, default 3000 ms). */
  tuningBudgetMs?: number;
  /** Background tuning progress (problems done of total). */
  onTuningProgress?: (p: ModelTuningProgress) => void;
  /** Opens a model source (default: the loading module's opener — paths, Blobs, URLs with range reads, split files — without a cache). */
  openSource?: (source: ModelSource, opts: LoadOptions) => Promise<ByteSource>;
  /** Largest number of live sequences (default 64). */
  maxSequences?: number;
  /** Rows per forward pass, the prefill chunk (default 128). */
  maxPassTokens?: number;
  /** Default backend of every load (a load's own `backend` option wins; default `auto`). */
  backend?: BackendChoice;
  /** Default compute threads of the wasm backend (a load's own `threads` option wins). */
  threads?: number;
  /** Refuse a constraint whose grammar would take longer than this to compile (estimated; default 10 000 ms). */
  grammarCompileLimitMs?: number;
}

interface Loaded extends LoadedModel {
  tokenizer: Tokenizer;
  /** Compiles constraints against this model's vocabulary (XGrammar loads on first use). */
  grammars: ConstraintCompiler;
}

/** The in-process Engine. */
export class RuminateEngine implements Engine {
  private current: Loaded | undefined;
  private ctx: Promise<KernelContext> | undefined;
  private deviceLost = false;
  /** The default context's tuner and adapter architecture (absent with a caller's context or `tuning: 'off'`). */
  private tuner: { tuner: Tuner; architecture: string } | undefined;
  private tuning: { done: Promise<TuneReport | undefined>; stop: AbortController } | undefined;

  constructor(private readonly opts: RuminateEngineOptions = {}) {}

  async load(source: ModelSource, opts: LoadOptions = {}): Promise<ModelInfo> {
    const backend = await this.chooseBackend(opts.backend ?? this.opts.backend ?? 'auto');
    const ctx = backend === 'webgpu' ? await this.context() : undefined;
    // Default opener: before any tensor data is downloaded, the header alone must show a
    // supported architecture whose weights and KV fit this device (else a typed error says why).
    const open =
      this.opts.openSource ??
      createSourceOpener({
        checkHeader: (m) => {
          const hp = readHparams(m.metadata, (n) => m.tensors.find((t) => t.name === n)?.dims);
          checkModelTensors(hp, m.tensors, opts);
          checkModelFit(
            m,
            { contextLength: opts.contextLength ?? Math.min(hp.contextLength, 4096) },
            ctx
              ? {
                  maxBufferSize: ctx.limits.maxBufferSize ?? 2 ** 28,
                  maxStorageBufferBindingSize: ctx.limits.maxStorageBufferBindingSize ?? 2 ** 27,
                }
              : WASM_DEVICE_BUDGET,
          );
        },
      });
    const bytes = await open(source, opts);
    try {
      const header = await parseGguf(bytes);
      const tokenizer = Tokenizer.fromMetadata(header.metadata);
      const sizing = {
        ...opts,
        ...(this.opts.maxSequences ? { maxSequences: this.opts.maxSequences } : {}),
        ...(this.opts.maxPassTokens ? { maxPassTokens: this.opts.maxPassTokens } : {}),
        ...(opts.threads === undefined && this.opts.threads !== undefined
          ? { threads: this.opts.threads }
          : {}),
      };
      // Free the previous model's memory only once the new one is known to be readable.
      const loaded = ctx
        ? await loadModel(ctx, header, bytes, sizing)
        : await loadWasmModel(header, bytes, {
            ...sizing,
            tuning: {
              mode: this.opts.tuning ?? 'background',
              ...(this.opts.tuningStore ? { store: this.opts.tuningStore } : {}),
              ...(this.opts.tuningBudgetMs !== undefined ? { budgetMs: this.opts.tuningBudgetMs } : {}),
            },
          });
      const eos = new Set([...loaded.info.eosTokenIds, ...tokenizer.eogIds]);
      loaded.info.eosTokenIds = [...eos];
      loaded.engine.setEosTokens(eos);
      if (tokenizer.chatTemplate) loaded.info.toolCallFormat = toolCallFormatOf(tokenizer.chatTemplate);
      const grammars = new ConstraintCompiler(
        tokenizer,
        this.opts.grammarCompileLimitMs !== undefined
          ? { compileTimeLimitMs: this.opts.grammarCompileLimitMs }
          : {},
      );
      loaded.engine.constraints = new SequenceConstraints(
        () => grammars.xgrammar(),
        loaded.info.vocabSize,
        () => loaded.info.eosTokenIds,
        (id) => (id < tokenizer.vocabSize ? tokenizer.tokenBytes(id) : new Uint8Array(0)),
      );
      this.stopTuning();
      this.dropModel();
      this.current = { ...loaded, tokenizer, grammars };
      if (ctx) this.startTuning(ctx, header.tensors);
      return { ...loaded.info };
    } finally {
      await bytes.close?.();
    }
  }

  /**
   * The backend a load runs on. `auto`: the WebGPU path when a caller gave a kernel context or
   * the adapter is a real GPU; the wasm backend where WebGPU is missing or its adapter computes
   * on the CPU (SwiftShader, llvmpipe, WARP), where WGSL kernels cannot be fast.
   */
  private async chooseBackend(choice: BackendChoice): Promise<'webgpu' | 'wasm'> {
    if (choice !== 'auto') return choice;
    if (this.opts.kernelContext) return 'webgpu';
    try {
      return (await this.context()).cpuAdapter ? 'wasm' : 'webgpu';
    } catch (e) {
      this.ctx = undefined;
      if (isRuminateError(e, 'webgpu-unavailable') || isRuminateError(e, 'adapter-unavailable'))
        return 'wasm';
      throw e;
    }
  }

  /** `load` with the progress callback as its own argument (a comlink proxy from a page). */
  async loadWithProgress(
    source: ModelSource,
    opts: Omit<LoadOptions, 'onProgress' | 'signal'>,
    onProgress?: (p: LoadProgress) => void,
  ): Promise<ModelInfo> {
    return this.load(source, onProgress ? { ...opts, onProgress: (p) => void onProgress(p) } : opts);
  }

  async tokenize(text: string, opts: { special?: boolean; addBos?: boolean } = {}): Promise<number[]> {
    return this.need().tokenizer.encode(text, opts);
  }

  async detokenize(ids: number[]): Promise<string> {
    return this.need().tokenizer.decode(ids);
  }

  async applyChatTemplate(
    messages: ChatMessage[],
    opts: { addGenerationPrompt?: boolean; variables?: Record<string, unknown> } = {},
  ): Promise<number[]> {
    return applyChatTemplate(this.need().tokenizer, messages, opts);
  }

  async createSequence(prompt: number[]): Promise<SeqId> {
    return this.seqs().createSequence(prompt);
  }

  async fork(seq: SeqId, count: number): Promise<SeqId[]> {
    const seqs = this.seqs();
    const forks = seqs.fork(seq, count);
    await seqs.constraints?.fork(seq, forks);
    return forks;
  }

  async truncate(seq: SeqId, length: number): Promise<void> {
    const seqs = this.seqs();
    seqs.truncate(seq, length);
    await seqs.constraints?.truncate(seq, length);
  }

  async append(seq: SeqId, tokens: number[]): Promise<void> {
    const seqs = this.seqs();
    seqs.tokens(seq); // unknown-sequence before the grammar sees anything
    await seqs.constraints?.append(seq, tokens);
    seqs.append(seq, tokens);
  }

  async free(seq: SeqId): Promise<void> {
    const seqs = this.seqs();
    seqs.free(seq);
    seqs.constraints?.clear(seq);
  }

  async constrain(
    seq: SeqId,
    constraint: Constraint | null,
    layout?: JsonLayout,
  ): Promise<ConstraintInfo | null> {
    const loaded = this.need();
    const seqs = loaded.engine;
    const length = seqs.tokens(seq).length; // unknown-sequence first
    const constraints = seqs.constraints as SequenceConstraints;
    if (constraint === null) {
      constraints.clear(seq);
      return null;
    }
    const compiled = await loaded.grammars.compile(constraint, layout);
    await constraints.set(seq, compiled, length);
    return { kind: compiled.kind, compileMs: compiled.compileMs, cached: compiled.cached };
  }

  async tokens(seq: SeqId): Promise<number[]> {
    return this.seqs().tokens(seq);
  }

  async step(batch: StepRequest[]): Promise<StepResult[]> {
    try {
      return await this.seqs().step(batch);
    } catch (e) {
      if (e instanceof RuminateError && e.code === 'device-lost') this.dropLostDevice();
      throw e;
    }
  }

  /** Stops the running step before its next forward pass (it rejects with `aborted`). */
  async abort(): Promise<void> {
    this.current?.engine.abort();
  }

  async memory(): Promise<MemoryReport> {
    return this.seqs().memory();
  }

  async info(): Promise<ModelInfo | undefined> {
    return this.current ? { ...this.current.info } : undefined;
  }

  async unload(): Promise<void> {
    this.stopTuning();
    this.dropModel();
    this.current = undefined;
  }

  /** Destroys the current model and its grammar state. */
  private dropModel(): void {
    if (!this.current) return;
    this.current.engine.constraints?.dispose();
    void this.current.grammars.dispose();
    this.current.model.destroy();
  }

  /**
   * Resolves when the background tuning started by the last load has finished (its report:
   * per problem the winner, its time against the default's, and the tuning time), or with
   * undefined when none ran. Steps need not wait for it: defaults serve meanwhile.
   */
  async whenTuned(): Promise<TuneReport | undefined> {
    return this.tuning?.done;
  }

  private startTuning(ctx: KernelContext, tensors: Parameters<typeof tuneModelKernels>[2]): void {
    const tuning = this.opts.tuning ?? 'background';
    if (tuning !== 'background' || !this.tuner) return;
    const stop = new AbortController();
    const { tuner, architecture } = this.tuner;
    const done = tuneModelKernels(ctx, tuner, tensors, {
      architecture,
      signal: stop.signal,
      ...(this.opts.tuningBudgetMs !== undefined ? { budgetMs: this.opts.tuningBudgetMs } : {}),
      ...(this.opts.onTuningProgress ? { onProgress: this.opts.onTuningProgress } : {}),
    }).then(
      (r) => r.report,
      // Tuning is an optimisation: a failure (a lost device, a full store) leaves the defaults serving.
      () => undefined,
    );
    this.tuning = { done, stop };
  }

  private stopTuning(): void {
    this.tuning?.stop.abort();
    this.tuning = undefined;
  }

  private need(): Loaded {
    if (!this.current) throw new RuminateError('not-loaded', 'No model is loaded; call load() first.');
    return this.current;
  }

  private seqs(): SequenceEngine {
    return this.need().engine;
  }

  private context(): Promise<KernelContext> {
    if (this.deviceLost) {
      this.ctx = undefined;
      this.deviceLost = false;
    }
    this.ctx ??= (
      this.opts.kernelContext ??
      (async () => {
        const acquired = await requestDevice();
        const { device, info } = acquired;
        const ctx: KernelContext = kernelContextFor(acquired);
        if (this.opts.tuning !== 'off') {
          // A missing or unreadable tuning cache only means the shipped defaults serve.
          const tuner = await (this.opts.tuningStore
            ? Promise.resolve(this.opts.tuningStore)
            : defaultTuningStore()
          )
            .then((store) => Tuner.open(device, tuningIdentity(info), store))
            .catch(() => undefined);
          if (tuner) {
            ctx.tuned = tuner.lookup;
            this.tuner = { tuner, architecture: info.architecture };
          }
        }
        return ctx;
      })
    )().then((ctx) => {
      ctx.device.lost.then(() => this.dropLostDevice());
      return ctx;
    });
    return this.ctx;
  }

  /** After a device loss steps fail with `device-lost`; the next load acquires a new device. */
  private dropLostDevice(): void {
    this.deviceLost = true;
  }
}
