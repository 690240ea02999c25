// Which Engine the <ruminate-chat> elements (and `load`) use when none is passed: the runtime's
// worker engine by default, or whatever a page sets once with `setDefaultEngine`.
import type { Engine } from './engine-types.ts';

/** An Engine, or something that makes one. */
export type EngineSource = Engine | (() => Engine | Promise<Engine>);

let fallback: EngineSource | undefined;

/** Sets the engine every element uses unless given its own (undefined: the runtime's worker engine). */
export function setDefaultEngine(source: EngineSource | undefined): void {
  fallback = source;
}

/** The engine set with `setDefaultEngine`, if any. */
export function defaultEngine(): EngineSource | undefined {
  return fallback;
}

/** Why this page cannot run the default engine, in words, or null when it can try. */
export function webgpuProblem(): string | null {
  if (typeof navigator === 'undefined') return 'Not in a browser: Ruminate elements run in a page.';
  if (!('gpu' in navigator) || !navigator.gpu) {
    return (
      'This browser has no WebGPU, which Ruminate needs to run a model on your device. ' +
      'Use a recent Chrome, Edge or Safari (or Firefox with WebGPU enabled), on a secure (https) page.'
    );
  }
  return null;
}
