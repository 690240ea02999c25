// The contract between the worker runtime and the main-thread controller (ARCHITECTURE.md).
// A token step (`Engine.step`) advances each listed sequence by one token; the runtime
// knows sequences and tokens, never strategies.
import type { Constraint, ConstraintInfo, JsonLayout } from '../constraint/types.ts';

export type { Constraint, ConstraintInfo, JsonLayout } from '../constraint/types.ts';

/** Opaque handle of one sequence in the KV cache. */
export type SeqId = number;

/** Where a model comes from: a URL, a File/Blob, a Node path, or several split parts. */
export type ModelSource =
  | string
  | URL
  | Blob
  | { url: string | URL; sha256?: string }
  | { path: string }
  | { parts: (string | URL | Blob)[] };

/** Progress of a long load phase, for progress bars. */
export interface LoadProgress {
  /** Which phase: downloading bytes, uploading to the GPU, compiling shaders, tuning kernels. */
  phase: 'download' | 'upload' | 'compile' | 'tune';
  /** Units done so far (bytes for download/upload, kernels for compile/tune). */
  done: number;
  /** Units in total, when known. */
  total: number | undefined;
}

/** Options for `Engine.load`. */
export interface LoadOptions {
  /** Context length to reserve KV cache for; defaults to min(model's, 4096). */
  contextLength?: number;
  /** KV-cache pages to allocate; defaults to what the context needs for a few sequences. */
  kvPages?: number;
  /** Called as loading progresses. */
  onProgress?: (p: LoadProgress) => void;
  /** Cancels the load; the previous model (if any) stays usable. */
  signal?: AbortSignal;
  /**
   * Where the model computes: `webgpu`, `wasm` (WebAssembly SIMD on a pool of threads), or
   * `auto` (default): wasm where WebGPU is missing or its adapter computes on the CPU
   * (SwiftShader, llvmpipe, WARP), WebGPU elsewhere.
   */
  backend?: BackendChoice;
  /** Compute threads of the wasm backend (default: every core, where the page is cross-origin isolated). */
  threads?: number;
  /** Load even when the file holds tensors the model never reads (refused by default, as llama.cpp does); for experiments. */
  allowUnusedTensors?: boolean;
}

/** The backends a model can run on, or `auto` to let the engine pick. */
export type BackendChoice = 'auto' | 'webgpu' | 'wasm';

/** What a loaded model is. */
export interface ModelInfo {
  /** `general.architecture` (llama, qwen2, qwen3, qwen2moe, …). */
  architecture: string;
  /** `general.name`, when present. */
  name: string | undefined;
  /** Parameter count. */
  parameters: number;
  /** Vocabulary size. */
  vocabSize: number;
  /** Context length reserved. */
  contextLength: number;
  /** Context length the model was trained for. */
  trainedContextLength: number;
  /** Predominant weight type, e.g. `q4_0`. */
  weightType: string;
  /** End-of-generation token ids. */
  eosTokenIds: number[];
  /** Bytes of weights resident on the GPU. */
  weightBytes: number;
  /** Whether a chat template is present. */
  hasChatTemplate: boolean;
  /** How the chat template writes tool calls: `hermes` (`<tool_call>{json}</tool_call>`, Qwen and Hermes) or `json` (a bare JSON object). */
  toolCallFormat?: 'hermes' | 'json';
  /** The backend the model runs on (`webgpu` or `wasm`), for engines that have a choice. */
  backend?: 'webgpu' | 'wasm';
  /** Compute threads of the wasm backend, and why that many (e.g. the headers a page lacks). */
  threads?: { count: number; reason: string };
  /** Kernel tuning at this load on the wasm backend: shapes whose winners were cached, timed now, or left on the defaults, and the ms spent. */
  tuning?: { cached: number; timed: number; untuned: number; ms: number };
}

/** One message of a chat. */
export interface ChatMessage {
  /** Who speaks. */
  role: 'system' | 'user' | 'assistant' | 'tool';
  /** What they say. */
  content: string;
  /** An assistant turn's tool calls (OpenAI's shape), for templates that render them. */
  tool_calls?: {
    id?: string;
    type: 'function';
    function: { name: string; arguments: string | Record<string, unknown> };
  }[];
  /** A tool turn: which call it answers. */
  tool_call_id?: string;
  /** A tool turn: the function's name. */
  name?: string;
}

/** How to pick the next token. `temperature: 0` is greedy. */
export interface SamplingParams {
  /** Softmax temperature; 0 selects the argmax. */
  temperature: number;
  /** Keep the k most likely tokens (0 or absent: all). */
  topK?: number;
  /** Keep the smallest set whose probability reaches p (1 or absent: all). */
  topP?: number;
  /** Drop tokens whose probability is below minP × the top probability. */
  minP?: number;
  /** Divide positive logits (multiply negative) of tokens already in the sequence. */
  repetitionPenalty?: number;
  /** Subtract this × the token's count in the generated text. */
  frequencyPenalty?: number;
  /** Subtract this from every token already generated. */
  presencePenalty?: number;
  /** Seed of this sequence's counter-based random stream (seed, stream, position). */
  seed?: number;
  /** The stream of that random stream (default: the sequence's id); the same seed and stream draw the same tokens in any sequence. */
  stream?: number;
  /** Tokens that may not be sampled (e.g. EOS before a minimum length). */
  bannedTokens?: number[];
}

/** What to read back besides the sampled token. */
export interface StepWants {
  /** Return this many top log-probabilities (0–20). */
  topLogprobs?: number;
  /** Return the entropy of the next-token distribution (nats). */
  entropy?: boolean;
  /** Return the mean over the vocabulary of log(V·p) (self-certainty's per-token term). */
  selfCertainty?: boolean;
}

/** One sequence's request in a batched step. */
export interface StepRequest {
  /** The sequence to advance. */
  seq: SeqId;
  /** How to sample its next token. */
  sampling: SamplingParams;
  /** Extra numbers to read back. */
  want?: StepWants;
  /** Force this token instead of sampling (teacher forcing); its log-probability is still reported. */
  forceToken?: number;
}

/** One sequence's outcome of a batched step. */
export interface StepResult {
  /** The sequence advanced. */
  seq: SeqId;
  /** The token appended. */
  token: number;
  /** Log-probability of that token under the (temperature-1) model distribution. */
  logprob: number;
  /** Top log-probabilities, most likely first, when asked for. */
  topLogprobs?: { token: number; logprob: number }[];
  /** Entropy in nats, when asked for. */
  entropy?: number;
  /** Mean of log(V·p) over the vocabulary, when asked for. */
  selfCertainty?: number;
  /** True when the token is an end-of-generation token. */
  eos: boolean;
  /** True when the sequence's constraint admitted no token here: the end token was forced (finish reason `grammar`). */
  grammarDeadEnd?: boolean;
}

/** KV cache and weight memory, for the planner and for tests of prefix sharing. */
export interface MemoryReport {
  /** Bytes of weights on the GPU. */
  weightBytes: number;
  /** Bytes of all KV pages (used or free). */
  kvBytes: number;
  /** Tokens per KV page. */
  pageTokens: number;
  /** Bytes one page holds across all layers (K and V). */
  bytesPerPage: number;
  /** Pages in use by at least one sequence. */
  pagesUsed: number;
  /** Pages free (including `pagesCached`, which are reclaimed on demand). */
  pagesFree: number;
  /** Pages held only by freed sequences kept for prefix reuse (the next chat turn). */
  pagesCached?: number;
  /** Live sequences. */
  sequences: number;
  /** Every other GPU allocation (activations, staging, uniforms). */
  scratchBytes: number;
}

/** The runtime's interface, in the worker (exposed with comlink) or in-process in Node. */
export interface Engine {
  /** Loads a model, replacing the current one only on success. */
  load(source: ModelSource, opts?: LoadOptions): Promise<ModelInfo>;
  /** Text to token ids; `special` parses special-token text such as `<|im_start|>`. */
  tokenize(text: string, opts?: { special?: boolean; addBos?: boolean }): Promise<number[]>;
  /** Token ids to text; never splits a UTF-8 character (incomplete bytes are held back). */
  detokenize(ids: number[]): Promise<string>;
  /** Renders the chat template and tokenizes it, ready for generation; `variables` reach the template (`tools`, `enable_thinking`). */
  applyChatTemplate(
    messages: ChatMessage[],
    opts?: { addGenerationPrompt?: boolean; variables?: Record<string, unknown> },
  ): Promise<number[]>;
  /** New sequence holding `prompt`; prefilled lazily by the next step (sharing a cached prefix when one exists). */
  createSequence(prompt: number[]): Promise<SeqId>;
  /** `count` copies of `seq` sharing every KV page (copy-on-write). */
  fork(seq: SeqId, count: number): Promise<SeqId[]>;
  /** Rolls `seq` back to its first `length` tokens. */
  truncate(seq: SeqId, length: number): Promise<void>;
  /** Appends tokens to a sequence (prefilled by the next step), e.g. a tool result. */
  append(seq: SeqId, tokens: number[]): Promise<void>;
  /** Releases the sequence and its unshared pages. */
  free(seq: SeqId): Promise<void>;
  /** Tokens currently in the sequence. */
  tokens(seq: SeqId): Promise<number[]>;
  /** One token for each listed sequence. */
  step(batch: StepRequest[]): Promise<StepResult[]>;
  /**
   * Constrains what `seq` generates from its current length on (a JSON Schema, JSON mode, a
   * GBNF/EBNF grammar or a regex), or removes its constraint (`null`). Every later step masks the
   * tokens the grammar does not allow; forks inherit the grammar state. Engines without
   * constrained decoding leave it out.
   */
  constrain?(seq: SeqId, constraint: Constraint | null, layout?: JsonLayout): Promise<ConstraintInfo | null>;
  /** Memory accounting. */
  memory(): Promise<MemoryReport>;
  /** The loaded model, or undefined. */
  info(): Promise<ModelInfo | undefined>;
  /** Frees GPU memory held by the model. */
  unload(): Promise<void>;
}
