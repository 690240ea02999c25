// @ruminate/controller: the main-thread API (OpenAI-shaped completions), test-time compute
// strategies over the Generator, verifiers and scorers, and the device-aware budget planner.

export { isRuminateError, RuminateError, type RuminateErrorCode } from '@ruminate/errors';
export { constraintOf, type RequestConstraint } from './api/constraint-of.ts';
export {
  type ChatCompletions,
  type Completions,
  type CreateEngineOptions,
  createEngine,
  defaultEngine,
  type RuminateClient,
} from './api/create-engine.ts';
export type { EngineChoice, RejectedEngine } from './api/engine-fallback.ts';
export { fromChatRequest, fromCompletionRequest, type RunRequest } from './api/request.ts';
export {
  type ChoiceResult,
  type LogprobEntry,
  logprobEntries,
  planFor,
  type RunOptions,
  type RunResult,
  resolveRequestStrategy,
  resultToJson,
  runStrategy,
} from './api/run-strategy.ts';
export type { ThinkingMode } from './api/thinking-prompt.ts';
export {
  callableTools,
  callSchema,
  parseToolCalls,
  type ToolCallFormat,
  toolConstraint,
} from './api/tools.ts';
export type * from './api/types.ts';
export {
  type AllocationLimits,
  type AllocationPolicy,
  nextRound,
  type PromptState,
  proportionalSplit,
} from './batch/allocation.ts';
export {
  type BatchItem,
  type BatchOptions,
  type BatchPrompt,
  type BatchResult,
  runBatch,
} from './batch/run-batch.ts';
export { ScriptedEngine, type ScriptedEngineOptions, type ScriptedModel } from './engines/scripted-engine.ts';
export { type BatchEvalOptions, runBatchEval } from './eval/batch-eval.ts';
export { type ChartFamily, type ChartPoint, chartFamilies, evalChartSvg } from './eval/chart-svg.ts';
export { majority, passAtK, subsetMean, wilson } from './eval/estimators.ts';
export { type EvalOptions, type EvalReport, type EvalRow, runEval } from './eval/run-eval.ts';
export { Branch, type FinishReason, type TokenLogprob } from './generator/branch.ts';
export type {
  ApiFinishReason,
  ApiPrompt,
  ApiToken,
  ApiTopLogprob,
  CompletionApi,
  CompletionApiEvent,
  CompletionApiRequest,
} from './generator/completion-api.ts';
export {
  CompletionApiGenerator,
  type CompletionApiGeneratorOptions,
} from './generator/completion-api-generator.ts';
export { EngineGenerator, type EngineGeneratorOptions } from './generator/engine-generator.ts';
export { createRng } from './generator/seeds.ts';
export { findStop, stableLength, stopPrefixLength } from './generator/stop-strings.ts';
export { type ThinkingControl, thinkingOpen } from './generator/thinking-budget.ts';
export { type CandidateTrace, Trace, type TraceEvent, type TraceEventType } from './generator/trace.ts';
export type { DeltaListener, ExtendUntil, Generator, GeneratorUsage } from './generator/types.ts';
export { fileSpeedCache } from './planner/file-speed-cache.ts';
export {
  cachedDecodeSpeed,
  type MeasureOptions,
  measureDecodeSpeed,
  type SpeedCache,
  speedCacheKey,
} from './planner/measure.ts';
export {
  MAX_PLANNED_SAMPLES,
  memorySequences,
  type PlanInput,
  planRequest,
  predictMs,
} from './planner/plan.ts';
export { estimateSpeed, kneeWidth, throughputAt } from './planner/throughput.ts';
export type { Budget, DecodeSpeed, DeviceProfileLike, Plan, SpeedPoint } from './planner/types.ts';
export {
  OpenAIHttpApi,
  type RemoteCapabilities,
  type RemoteOptions,
} from './remote/openai-http-api.ts';
export type { RetryPolicy } from './remote/retry.ts';
export { sseData } from './remote/sse.ts';
export {
  type SpeculativeOptions,
  type SpeculativeResult,
  speculativeGreedy,
} from './speculative/greedy-speculative.ts';
export { ascStoppingRule, voteDecided } from './strategies/adaptive-sc.ts';

export { betaStopProbability, incompleteBetaHalf } from './strategies/beta-rule.ts';
export { lowestGroupConfidence, percentile } from './strategies/deepconf.ts';
export { dvts } from './strategies/dvts.ts';
export { greedy } from './strategies/greedy.ts';
export {
  QALIGN_DEFAULT_BETA,
  QALIGN_DEFAULT_BURN_IN,
  qalign,
  qalignLogAcceptance,
} from './strategies/qalign.ts';

export {
  getStrategy,
  listStrategies,
  parseStrategy,
  type ResolvedStrategy,
  registerStrategy,
} from './strategies/registry.ts';
export { multinomialResample, softmax, systematicResample } from './strategies/resampling.ts';
export { sample } from './strategies/sample.ts';

export {
  ASC_DEFAULT_RULE,
  type AscGrowth,
  type AscRuleName,
  type AscStoppingRule,
  ascCheckpoints,
  ascStopPoint,
} from './strategies/stopping-rule.ts';
export type {
  StrategyContext,
  StrategyDefinition,
  StrategyObject,
  StrategyOutcome,
  StrategySpec,
} from './strategies/types.ts';
export { tallyVotes, type VoteResult } from './strategies/voting.ts';

export { mulTask } from './tasks/mul.ts';

export { getTask, registerTask } from './tasks/registry.ts';
export type { EvalProblem, EvalTask } from './tasks/types.ts';
export {
  type AnswerMode,
  type AnswerOptions,
  canonicalJson,
  extractAnswer,
  lastBoxed,
  normalizeAnswer,
  stripThinking,
} from './verifiers/answer.ts';
export { exactMatch } from './verifiers/exact-match.ts';
export { extractCode, type JavascriptTestsOptions, javascriptTests } from './verifiers/javascript-tests.ts';
export {
  enforcedSchemaVerifier,
  extractJson,
  type JsonSchema,
  type JsonType,
  type JsonValue,
  jsonSchemaVerifier,
  type SchemaError,
  validateJson,
} from './verifiers/json-schema.ts';
export { meanLogprob, selfCertainty } from './verifiers/model-confidence.ts';
export type { VerifierSpec } from './verifiers/resolve.ts';
export { type RewardModelOptions, rewardModel } from './verifiers/reward-model.ts';
export { runSandboxed, type SandboxLimits, type SandboxResult } from './verifiers/sandbox.ts';
export {
  failed,
  runVerifier,
  type ScoreScale,
  type Verdict,
  type Verifier,
  type VerifyInput,
} from './verifiers/types.ts';
