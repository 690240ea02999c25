// @ruminate/web-llm: WebLLM's public API over Ruminate. A WebLLM app changes its import
// (`import * as webllm from '@ruminate/web-llm'`) and its model id; README lists what differs.

export {
  BUNDLED_MODEL_ID,
  functionCallingModelIds,
  modelLibURLPrefix,
  modelVersion,
  prebuiltAppConfig,
} from './app-config.ts';
export { deleteModelAllInfoInCache, deleteModelInCache, hasModelInCache } from './cache.ts';
export * from './config-types.ts';
export {
  type FromWebLLMOptions,
  fromWebLLM,
  WebLLMCompletionApi,
  type WebLLMEngineLike,
} from './from-webllm.ts';
export { CreateMLCEngine, MLCEngine, type RuminateEngineOptions } from './mlc-engine.ts';
export type * from './openai-types.ts';
export {
  CreateServiceWorkerMLCEngine,
  ServiceWorkerMLCEngine,
  ServiceWorkerMLCEngineHandler,
} from './service-worker.ts';
export { CreateWebWorkerMLCEngine, WebWorkerMLCEngine, WebWorkerMLCEngineHandler } from './web-worker.ts';
