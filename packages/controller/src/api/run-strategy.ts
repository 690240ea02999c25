// runStrategy: one request, end to end — validate, tokenize, plan, run the strategy over a
// Generator, release every sequence (also on abort or error), and report choices, trace, plan
// and usage. The OpenAI-shaped API and the CLI's `generate --strategy` both call it. It runs on a
// Ruminate `Engine` (EngineGenerator) or on a `CompletionApi` such as a remote OpenAI-compatible
// server (CompletionApiGenerator: no tokenizer, KV memory or decode speed of its own here).

import { RuminateError } from '@ruminate/errors';
import type { Constraint, Engine, SamplingParams, StepWants } from '@ruminate/runtime';
import type { Branch } from '../generator/branch.ts';
import type { ApiPrompt, CompletionApi } from '../generator/completion-api.ts';
import { CompletionApiGenerator } from '../generator/completion-api-generator.ts';
import { EngineGenerator } from '../generator/engine-generator.ts';
import { randomSeed } from '../generator/seeds.ts';
import type { CandidateTrace } from '../generator/trace.ts';
import type { Generator } from '../generator/types.ts';
import { cachedDecodeSpeed, type SpeedCache } from '../planner/measure.ts';
import { planRequest } from '../planner/plan.ts';
import { estimateSpeed } from '../planner/throughput.ts';
import type { DecodeSpeed, DeviceProfileLike, Plan } from '../planner/types.ts';
import { parseStrategy, type ResolvedStrategy } from '../strategies/registry.ts';
import type { StrategyContext } from '../strategies/types.ts';
import { enforcedSchemaVerifier, jsonSchemaVerifier } from '../verifiers/json-schema.ts';
import { meanLogprob, selfCertainty } from '../verifiers/model-confidence.ts';
import { resolveVerifier } from '../verifiers/resolve.ts';
import { DEFAULT_VERIFIER_TIMEOUT_MS } from '../verifiers/types.ts';
import { type RunRequest, validateRunRequest } from './request.ts';
import { runSpeculative } from './speculative-run.ts';
import { thinkingPrompt } from './thinking-prompt.ts';
import { callableTools, parseToolCalls, type ToolCallFormat, toolConstraint } from './tools.ts';
import type { ChatTool, RuminateUsage, ToolCall } from './types.ts';

/** Per-call options of `runStrategy`. */
export interface RunOptions {
  /** Cancels the run; every forked sequence is released before the `aborted` error is thrown. */
  signal?: AbortSignal;
  /** Receives each candidate's stable text deltas as they are decoded (with its tokens so far, and a detokenizer for them). */
  onDelta?: (
    candidate: DeltaCandidate,
    delta: string,
    detokenize?: (ids: number[]) => Promise<string>,
  ) => void;
  /** Decode speed to plan with (skips measuring). */
  speed?: DecodeSpeed;
  /** Device profile, to estimate speed when `measure` is false. */
  profile?: DeviceProfileLike;
  /** Measure decode speed for latency budgets when not cached (default true). */
  measure?: boolean;
  /** Where measured speeds are cached (default: in memory, per process). */
  speedCache?: SpeedCache;
  /** Device name for the speed cache key. */
  device?: string;
  /** Clock in ms for the latency budget and the trace (default performance.now). */
  now?: () => number;
  /** A draft model (same vocabulary): greedy requests then use speculative decoding. */
  draft?: Engine;
  /** Draft tokens per target step for speculative decoding (default 4). */
  gamma?: number;
}

/** A streamed candidate: its id and parent and, when a generator streams it, its tokens so far. */
export interface DeltaCandidate {
  /** Candidate id in the trace. */
  id: number;
  /** The candidate it was forked from, or null. */
  parent: number | null;
  /** Generated token ids so far. */
  tokens?: readonly number[];
  /** Their log-probabilities. */
  logprobs?: readonly number[];
  /** Their top alternatives. */
  topLogprobs?: readonly (readonly { token: number; logprob: number }[])[];
}

/** One token's log-probability entry as a response reports it. */
export interface LogprobEntry {
  token: string;
  logprob: number;
  bytes: number[];
  top: { token: string; logprob: number; bytes: number[] }[];
}

/** One returned choice. */
export interface ChoiceResult {
  /** Candidate id in the trace. */
  candidate: number;
  /** Text (stop string removed). */
  text: string;
  /** Token ids. */
  tokens: number[];
  /** OpenAI finish reason. */
  finishReason: 'stop' | 'length' | 'tool_calls';
  /** The tool calls read from the text (then `text` is what remains outside them). */
  toolCalls?: ToolCall[];
  /** Per-token log-probabilities (when asked for): token text, bytes and alternatives. */
  logprobs: LogprobEntry[] | null;
}

/** What `runStrategy` returns. */
export interface RunResult {
  /** The winner's text, or null when the strategy abstained. */
  text: string | null;
  /** The winner's candidate id, or null. */
  winner: number | null;
  /** The winning extracted answer (voting strategies). */
  answer: string | null;
  /** True when no candidate passed and abstention was allowed. */
  abstained: boolean;
  /** The first `n` ranked candidates. */
  choices: ChoiceResult[];
  /** Every candidate. */
  trace: CandidateTrace[];
  /** The plan. */
  plan: Plan;
  /** Work done. */
  usage: RuminateUsage;
  /** Strategy-specific numbers. */
  stats: Record<string, number>;
}

/** What a request's output is held to while decoding: its constraint, the tools it may call, and whether it is JSON. */
interface OutputConstraint {
  constraint: Constraint | undefined;
  tools: ChatTool[];
  format: ToolCallFormat;
  /** True when every finished candidate is JSON by construction (JSON mode, a schema, a forced tool call). */
  json: boolean;
}

async function outputConstraint(target: RunTarget, req: RunRequest): Promise<OutputConstraint> {
  const engine = isCompletionApi(target) ? undefined : target;
  const tools = callableTools(req.tools, req.toolChoice);
  const format = tools.length > 0 ? ((await engine?.info())?.toolCallFormat ?? 'json') : 'json';
  let constraint = req.constraint ?? toolConstraint(tools, req.toolChoice, format);
  const isJson = (c: Constraint | undefined) => c?.kind === 'json_schema' || c?.kind === 'json_object';
  if (constraint && !engine?.constrain) {
    // An engine without constrained decoding (a scripted or remote one): JSON output and tool
    // calls are still checked and parsed afterwards (the schema verifier); a grammar cannot be.
    if (!isJson(constraint) && req.constraint) {
      throw new RuminateError(
        'grammar-unavailable',
        "This engine cannot enforce a grammar or regex while decoding; use Ruminate's runtime, or drop grammar/regex.",
        { field: req.constraint.kind === 'regex' ? 'regex' : 'grammar' },
      );
    }
    constraint = undefined;
  }
  return { constraint, tools, format, json: isJson(constraint) };
}

/** Resolves the strategy a request asks for (or the default one). */
export function resolveRequestStrategy(req: RunRequest): ResolvedStrategy {
  const spec = req.strategy ?? (req.budget ? (req.verifier || req.responseSchema ? 'bon' : 'sc') : 'sample');
  const resolved = parseStrategy(spec);
  if (req.samples !== undefined) resolved.samples = req.samples;
  return resolved;
}

/** Prompt token ids of a request. */
export async function promptTokensOf(engine: Engine, req: RunRequest): Promise<number[]> {
  if (req.thinking !== undefined) return (await thinkingPrompt(engine, req, req.thinking)).tokens;
  if (req.promptTokens) return req.promptTokens;
  if (req.messages) {
    // The model's own template renders the tools (its `tools` variable), as Hugging Face templates expect.
    const variables = req.tools ? { tools: req.tools } : undefined;
    const head = await engine.applyChatTemplate(req.messages, {
      addGenerationPrompt: true,
      ...(variables ? { variables } : {}),
    });
    // A continued assistant message (chat `continue_final_message`) follows the generation prompt.
    if (req.prefill === undefined) return head;
    return [...head, ...(await engine.tokenize(req.prefill, { addBos: false }))];
  }
  return engine.tokenize(req.prompt ?? '', { addBos: true });
}

/** Where a run decodes: a Ruminate engine, or a completions API (a remote server, WebLLM). */
export type RunTarget = Engine | CompletionApi;

/**
 * True when the target is a completions API rather than an Engine: it completes and has no step.
 * (A Comlink proxy of a worker's engine answers every property with a function, so `step` decides.)
 */
export function isCompletionApi(target: RunTarget): target is CompletionApi {
  return (
    typeof (target as Partial<CompletionApi>).complete === 'function' &&
    typeof (target as Partial<Engine>).step !== 'function'
  );
}

/** A request's prompt as a completions API takes it (token ids only mean something to a local tokenizer). */
export function apiPromptOf(req: RunRequest, api: CompletionApi): ApiPrompt {
  if (req.prefill !== undefined) {
    throw new RuminateError(
      'invalid-argument',
      `continue_final_message needs a local engine, not ${api.name}.`,
      {
        field: 'continue_final_message',
      },
    );
  }
  if (req.messages) return { messages: req.messages };
  if (req.prompt !== undefined) return { text: req.prompt };
  throw new RuminateError(
    'invalid-argument',
    `prompt as token ids needs a local engine; ${api.name} takes text or messages.`,
    { field: 'prompt' },
  );
}

/** The prompt's token count for the planner: exact on an engine, estimated (4 characters a token) on an API. */
async function promptLength(target: RunTarget, req: RunRequest): Promise<number> {
  if (!isCompletionApi(target)) return (await promptTokensOf(target, req)).length;
  const p = apiPromptOf(req, target);
  const chars = 'text' in p ? p.text.length : p.messages.reduce((a, m) => a + m.content.length, 0);
  return Math.ceil(chars / 4);
}

async function speedFor(
  target: RunTarget,
  req: RunRequest,
  opts: RunOptions,
): Promise<DecodeSpeed | undefined> {
  if (opts.speed) return opts.speed;
  if (isCompletionApi(target)) return undefined;
  const engine = target;
  if (req.budget?.latencyMs === undefined) return undefined;
  if (opts.measure === false) {
    const info = await engine.info();
    return opts.profile && info ? estimateSpeed(opts.profile, info) : undefined;
  }
  const m: Parameters<typeof cachedDecodeSpeed>[1] = {};
  if (opts.speedCache) m.cache = opts.speedCache;
  if (opts.device) m.device = opts.device;
  if (opts.signal) m.signal = opts.signal;
  return cachedDecodeSpeed(engine, m);
}

/** Plans a request without running it (`engine.plan(request)`). */
export async function planFor(target: RunTarget, req: RunRequest, opts: RunOptions = {}): Promise<Plan> {
  validateRunRequest(req);
  const strategy = resolveRequestStrategy(req);
  const plan = planRequest({
    strategy,
    choices: req.n ?? 1,
    maxTokens: req.maxTokens,
    promptTokens: await promptLength(target, req),
    budget: req.budget,
    speed: await speedFor(target, req, opts),
    memory: isCompletionApi(target) ? undefined : await target.memory(),
    seed: (req.seed ?? randomSeed()) >>> 0,
  });
  strategy.definition.validate(plan.params, plan.n, req.n ?? 1);
  return plan;
}

function defaultTemperature(name: string): number {
  if (name === 'greedy') return 0;
  if (name === 'sample') return 1;
  return 0.8;
}

/** Runs a request end to end; see the file comment. */
export async function runStrategy(
  target: RunTarget,
  req: RunRequest,
  opts: RunOptions = {},
): Promise<RunResult> {
  const now = opts.now ?? (() => performance.now());
  validateRunRequest(req);
  const strategy = resolveRequestStrategy(req);
  const def = strategy.definition;
  const n = req.n ?? 1;
  const api = isCompletionApi(target) ? target : undefined;
  const engine = api ? undefined : (target as Engine);
  if (api && req.thinking !== undefined) {
    throw new RuminateError(
      'invalid-argument',
      `A thinking budget needs a local engine; ${api.name} is remote.`,
      {
        field: 'thinking',
      },
    );
  }
  const thinking =
    engine && req.thinking !== undefined ? await thinkingPrompt(engine, req, req.thinking) : undefined;
  const prompt = engine ? (thinking?.tokens ?? (await promptTokensOf(engine, req))) : [];
  const seed = (req.seed ?? randomSeed()) >>> 0;
  const plan = planRequest({
    strategy,
    choices: n,
    maxTokens: req.maxTokens,
    promptTokens: engine ? prompt.length : await promptLength(target, req),
    budget: req.budget,
    speed: await speedFor(target, req, opts),
    memory: engine ? await engine.memory() : undefined,
    seed,
  });
  def.validate(plan.params, plan.n, n);
  // The deadline counts from here: a first-call speed measurement is not charged to the request.
  const start = now();
  const stops = typeof req.stop === 'string' ? [req.stop] : (req.stop ?? []);
  const output = await outputConstraint(target, req);
  // Speculative decoding drafts unconstrained tokens and cannot force the end of thinking, so
  // constrained requests and thinking budgets decode normally.
  if (
    engine &&
    opts.draft &&
    def.name === 'greedy' &&
    !req.logprobs &&
    !output.constraint &&
    output.tools.length === 0 &&
    !thinking?.control
  ) {
    return runSpeculative(engine, opts.draft, prompt, plan, stops, opts);
  }

  const enforcedJson = output.json;
  const verifier = req.verifier
    ? resolveVerifier(req.verifier, 'verifier')
    : req.responseSchema
      ? enforcedJson
        ? enforcedSchemaVerifier()
        : jsonSchemaVerifier(req.responseSchema)
      : meanLogprob();
  const stepScorer = req.stepScorer ? resolveVerifier(req.stepScorer, 'step_scorer') : selfCertainty();
  const want: StepWants = {};
  const topK = Math.max(
    req.logprobs ? (req.topLogprobs ?? 0) : 0,
    def.wants?.(plan.params).topLogprobs ?? 0,
    def.usesVerifier ? (verifier.wants?.topLogprobs ?? 0) : 0,
    def.usesStepScorer ? (stepScorer.wants?.topLogprobs ?? 0) : 0,
  );
  if (topK > 0) want.topLogprobs = topK;
  if (
    (def.usesVerifier && verifier.wants?.selfCertainty) ||
    (def.usesStepScorer && stepScorer.wants?.selfCertainty)
  ) {
    want.selfCertainty = true;
  }
  const sampling: SamplingParams = { temperature: req.temperature ?? defaultTemperature(def.name) };
  if (req.topK !== undefined) sampling.topK = req.topK;
  if (req.topP !== undefined) sampling.topP = req.topP;
  if (req.minP !== undefined) sampling.minP = req.minP;
  if (req.repetitionPenalty !== undefined) sampling.repetitionPenalty = req.repetitionPenalty;
  if (req.frequencyPenalty !== undefined) sampling.frequencyPenalty = req.frequencyPenalty;
  if (req.presencePenalty !== undefined) sampling.presencePenalty = req.presencePenalty;
  if (req.bannedTokens !== undefined && req.bannedTokens.length > 0) sampling.bannedTokens = req.bannedTokens;

  const genOpts: ConstructorParameters<typeof EngineGenerator>[1] = {
    sampling,
    maxTokens: plan.maxTokens,
    stop: stops,
    want,
    seed,
    now,
    ...(output.constraint ? { constraint: output.constraint } : {}),
  };
  // The budget is also enforced while running: past the deadline or the token count, every live
  // candidate ends where it is (finish reason "length") and the strategy decides with what it has.
  const limits: { deadlineMs?: number; tokens?: number } = {};
  if (req.budget?.latencyMs !== undefined) limits.deadlineMs = start + req.budget.latencyMs;
  if (req.budget?.tokens !== undefined) limits.tokens = req.budget.tokens;
  genOpts.limits = limits;
  if (req.delimiter !== undefined) genOpts.delimiter = req.delimiter;
  if (thinking?.control) genOpts.thinking = thinking.control;
  if (opts.signal) genOpts.signal = opts.signal;
  const onDelta = opts.onDelta;
  const detokenize = (ids: number[]) => gen.detokenize(ids);
  if (onDelta) genOpts.onDelta = (b, d) => onDelta(b, d, detokenize);
  const gen: Generator = api
    ? new CompletionApiGenerator(api, apiPromptOf(req, api), genOpts)
    : new EngineGenerator(engine as Engine, genOpts);
  const t0 = now();
  let outcome: Awaited<ReturnType<typeof def.run>>;
  try {
    const root = await gen.create(prompt);
    const ctx: StrategyContext = {
      gen,
      root,
      samples: plan.n,
      batchWidth: plan.batchWidth,
      n,
      params: plan.params,
      verifier,
      stepScorer,
      // Votes over constrained JSON compare parsed values (canonical JSON), not their spelling.
      answer: req.answer ?? (enforcedJson ? { mode: 'json' } : {}),
      seed,
      prompt: req.prompt ?? req.messages?.filter((m) => m.role === 'user').at(-1)?.content ?? '',
      verifierTimeoutMs: req.verifierTimeoutMs ?? DEFAULT_VERIFIER_TIMEOUT_MS,
      signal: opts.signal,
    };
    outcome = await def.run(ctx);
  } finally {
    await gen.freeAll();
  }
  const timeMs = now() - t0;
  const chosen = outcome.ranked.slice(0, n);
  const choices = await Promise.all(
    chosen.map(async (b) => {
      const choice = await choiceOf(gen, b, req.logprobs === true ? (req.topLogprobs ?? 0) : -1);
      if (output.tools.length === 0) return choice;
      const { calls, content } = parseToolCalls(choice.text, output.tools, output.format);
      return calls.length > 0
        ? { ...choice, text: content, toolCalls: calls, finishReason: 'tool_calls' as const }
        : choice;
    }),
  );
  const u = gen.usage();
  return {
    text: outcome.winner ? outcome.winner.text : null,
    winner: outcome.winner ? outcome.winner.id : null,
    answer: outcome.answer ?? null,
    abstained: outcome.abstained === true,
    choices,
    trace: gen.trace.candidates(),
    plan,
    usage: {
      generatedTokens: u.generatedTokens,
      returnedTokens: chosen.reduce((a, b) => a + b.generated, 0),
      promptTokens: u.promptTokens,
      candidates: u.candidates,
      stepCalls: u.stepCalls,
      forks: u.forks,
      maxBatch: u.maxBatch,
      timeMs: Math.round(timeMs * 1000) / 1000,
    },
    stats: outcome.stats ?? {},
  };
}

const utf8 = new TextEncoder();

/**
 * Log-probability entries of tokens `from`…`to` of a candidate, keeping `top` alternatives each
 * (the chosen token's text from `detokenize`, its UTF-8 bytes).
 */
export async function logprobEntries(
  detokenize: (ids: number[]) => Promise<string>,
  c: Required<Pick<DeltaCandidate, 'tokens' | 'logprobs' | 'topLogprobs'>>,
  top: number,
  from = 0,
  to = c.tokens.length,
): Promise<LogprobEntry[]> {
  const ids = new Set<number>(c.tokens.slice(from, to));
  for (const alts of c.topLogprobs.slice(from, to)) for (const t of alts.slice(0, top)) ids.add(t.token);
  const texts = new Map<number, string>();
  await Promise.all([...ids].map(async (id) => texts.set(id, await detokenize([id]))));
  const entry = (id: number, logprob: number) => {
    const token = texts.get(id) ?? '';
    return { token, logprob, bytes: [...utf8.encode(token)] };
  };
  const out: LogprobEntry[] = [];
  for (let i = from; i < to; i++) {
    out.push({
      ...entry(c.tokens[i] as number, c.logprobs[i] ?? Number.NaN),
      top: (c.topLogprobs[i] ?? []).slice(0, top).map((t) => entry(t.token, t.logprob)),
    });
  }
  return out;
}

/** A choice's text and tokens; `top` < 0 leaves log-probabilities out, else keeps `top` alternatives per token. */
async function choiceOf(gen: Pick<Generator, 'detokenize'>, b: Branch, top: number): Promise<ChoiceResult> {
  return {
    candidate: b.id,
    text: b.text,
    tokens: [...b.tokens],
    finishReason: b.finishReason === 'length' ? 'length' : 'stop',
    logprobs: top >= 0 ? await logprobEntries((ids) => gen.detokenize(ids), b, top) : null,
  };
}

/** A run result as plain JSON (non-finite scores become null), for the CLI. */
export function resultToJson(result: RunResult): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify({
      text: result.text,
      winner: result.winner,
      answer: result.answer,
      abstained: result.abstained,
      trace: result.trace.map((c) => ({ ...c, tokenCount: c.tokens.length })),
      plan: result.plan,
      usage: result.usage,
      stats: result.stats,
    }),
  );
}
