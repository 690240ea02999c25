// @ruminate/controller: the main-thread API (OpenAI-shaped completions), test-time compute
// strategies over the Generator, verifiers and scorers, and the device-aware budget planner.

export { isRuminateError, RuminateError, type RuminateErrorCode } from '@ruminate/errors';
export { ChunkQueue } from './api/chunk-queue.ts';
export {
  type ChatCompletions,
  type Completions,
  type CreateEngineOptions,
  createEngine,
  type RuminateEngine,
} from './api/create-engine.ts';
export {
  fromChatRequest,
  fromCompletionRequest,
  type RunRequest,
  schemaOf,
  validateRunRequest,
} from './api/request.ts';
export { toChatCompletion, toCompletion, usageOf } from './api/response.ts';
export {
  type ChoiceResult,
  planFor,
  promptTokensOf,
  type RunOptions,
  type RunResult,
  resolveRequestStrategy,
  resultToJson,
  runStrategy,
} from './api/run-strategy.ts';
export type * from './api/types.ts';
export { ScriptedEngine, type ScriptedEngineOptions, type ScriptedModel } from './engines/scripted-engine.ts';
export { evalChartSvg } from './eval/chart-svg.ts';
export { majority, passAtK, subsetMean, wilson } from './eval/estimators.ts';
export { type EvalOptions, type EvalReport, type EvalRow, runEval } from './eval/run-eval.ts';
export { Branch, type FinishReason, type TokenLogprob } from './generator/branch.ts';
export { EngineGenerator, type EngineGeneratorOptions } from './generator/engine-generator.ts';
export { createRng, mixSeed, randomSeed } from './generator/seeds.ts';
export { findStepEnd, findStop, stableLength, stopPrefixLength } from './generator/stop-strings.ts';
export { type CandidateTrace, Trace, type TraceEvent, type TraceEventType } from './generator/trace.ts';
export type { DeltaListener, ExtendUntil, Generator, GeneratorUsage } from './generator/types.ts';
export { defaultSpeedCachePath, fileSpeedCache } from './planner/file-speed-cache.ts';
export {
  cachedDecodeSpeed,
  type MeasureOptions,
  measureDecodeSpeed,
  memorySpeedCache,
  type SpeedCache,
  speedCacheKey,
} from './planner/measure.ts';
export {
  DEFAULT_MAX_TOKENS,
  MAX_PLANNED_SAMPLES,
  MIN_ANSWER_TOKENS,
  memorySequences,
  type PlanInput,
  planRequest,
  predictMs,
} from './planner/plan.ts';
export { estimateSpeed, kneeWidth, throughputAt } from './planner/throughput.ts';
export type { Budget, DecodeSpeed, DeviceProfileLike, Plan, SpeedPoint } from './planner/types.ts';
export {
  type SpeculativeOptions,
  type SpeculativeResult,
  speculativeGreedy,
} from './speculative/greedy-speculative.ts';
export { adaptiveSelfConsistency, ascStoppingRule, voteDecided } from './strategies/adaptive-sc.ts';
export { beamSearch } from './strategies/beam-search.ts';
export { bestOfN } from './strategies/best-of-n.ts';
export { betaStopProbability, incompleteBetaHalf } from './strategies/beta-rule.ts';
export { deepConf, lowestGroupConfidence, percentile, tailGroupConfidence } from './strategies/deepconf.ts';
export { dvts } from './strategies/dvts.ts';
export { greedy } from './strategies/greedy.ts';
export { particleFilter } from './strategies/particle-filter.ts';
export {
  getStrategy,
  listStrategies,
  parseStrategy,
  type ResolvedStrategy,
  registerStrategy,
} from './strategies/registry.ts';
export { multinomialResample, softmax, systematicResample } from './strategies/resampling.ts';
export { sample } from './strategies/sample.ts';
export { selfConsistency } from './strategies/self-consistency.ts';
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
export { tallyVotes, type VoteResult, voteOutcome } from './strategies/voting.ts';
export { weightedSelfConsistency } from './strategies/weighted-sc.ts';
export { mulTask, scorePartialMul } from './tasks/mul.ts';
export {
  extractAnswer as extractMulAnswer,
  parsePrompt as parseMulPrompt,
  verify as verifyMulWork,
} from './tasks/mul-work.ts';
export { getTask, registerTask } from './tasks/registry.ts';
export type { EvalProblem, EvalTask } from './tasks/types.ts';
export {
  type AnswerMode,
  type AnswerOptions,
  extractAnswer,
  lastBoxed,
  lastNumber,
  normalizeAnswer,
  stripThinking,
} from './verifiers/answer.ts';
export { exactMatch } from './verifiers/exact-match.ts';
export { extractCode, type JavascriptTestsOptions, javascriptTests } from './verifiers/javascript-tests.ts';
export {
  extractJson,
  type JsonSchema,
  type JsonType,
  type JsonValue,
  jsonSchemaVerifier,
  type SchemaError,
  validateJson,
} from './verifiers/json-schema.ts';
export { meanLogprob, selfCertainty } from './verifiers/model-confidence.ts';
export { resolveVerifier, type VerifierSpec } from './verifiers/resolve.ts';
export { defaultJudgePrompt, type RewardModelOptions, rewardModel } from './verifiers/reward-model.ts';
export { runSandboxed, type SandboxLimits, type SandboxResult } from './verifiers/sandbox.ts';
export {
  DEFAULT_VERIFIER_TIMEOUT_MS,
  failed,
  runVerifier,
  type ScoreScale,
  type Verdict,
  type Verifier,
  type VerifyInput,
  verdictLogWeight,
  verdictWeight,
} from './verifiers/types.ts';
