// @ruminate/script: the controller's whole API plus the <ruminate-chat> element, as one file for
// a <script> tag (window.Ruminate) or an ES module import.
export * from '@ruminate/controller';
export { describeBudget, parseBudget } from './budget-attribute.ts';
export { bundledWorkerEngine } from './bundled-worker.ts';
export { type ChatResultDetail, defineChatElement, RuminateChatElement } from './chat-element.ts';
export { defaultEngine, type EngineSource, setDefaultEngine, webgpuProblem } from './engine-defaults.ts';
export type { ChatMessage, Engine, LoadOptions, LoadProgress, ModelSource } from './engine-types.ts';
export {
  type ConstraintFields,
  constraintAttributes,
  type ElementLookup,
  parseResponseFormat,
} from './response-format-attribute.ts';
export { VERSION } from './version.ts';
