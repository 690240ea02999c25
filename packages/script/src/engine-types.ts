// Runtime types as the controller's API carries them (so this package depends on the controller alone).
import type { ChatCompletionRequest, CreateEngineOptions, RuminateClient } from '@ruminate/controller';

/** The runtime's Engine contract (worker or in-process). */
export type Engine = NonNullable<RuminateClient['engine']>;
/** One chat message. */
export type ChatMessage = ChatCompletionRequest['messages'][number];
/** Options passed to `Engine.load`. */
export type LoadOptions = NonNullable<CreateEngineOptions['load']>;
/** A load-progress event (download, upload, compile, tune). */
export type LoadProgress = Parameters<NonNullable<LoadOptions['onProgress']>>[0];
/** Where a model comes from. */
export type ModelSource = NonNullable<CreateEngineOptions['model']>;
