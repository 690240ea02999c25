// @ruminate/react: hooks over the Ruminate controller (see hooks.tsx).
export { type DeviceInfo, readDeviceInfo } from './device-info.ts';
export {
  RuminateProvider,
  type RuminateProviderProps,
  type UseCompletion,
  type UseRuminate,
  useCompletion,
  useRuminate,
} from './hooks.tsx';
export {
  type Engine,
  type GenerateRequest,
  type LoadProgress,
  type RuminateOptions,
  type RuminateState,
  type RuminateStatus,
  RuminateStore,
} from './ruminate-store.ts';
export {
  applyChunk,
  type CandidateFate,
  type CandidateView,
  emptyRun,
  fateOf,
  type RunView,
} from './run-view.ts';
