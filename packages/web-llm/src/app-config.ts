// The models an engine knows: `prebuiltAppConfig` (the bundled model), and finding what an app
// asked for — a model id of the app config, or (a Ruminate extension) a GGUF URL in its place.

import { RuminateError } from '@ruminate/errors';
import type { AppConfig, ChatOptions, ModelRecord } from './config-types.ts';

/** Id of the bundled model in `prebuiltAppConfig`. */
export const BUNDLED_MODEL_ID = 'Ruminate-Mul-0.8M-q8_0';

/**
 * The models this package knows without configuration: the bundled 0.81M-parameter model
 * (2-digit multiplication with worked steps), served from `/models/mul-q8_0.gguf` by the
 * repository's pages. Any other GGUF goes in an app config, or straight into `reload(url)`.
 */
export const prebuiltAppConfig: AppConfig = {
  model_list: [
    {
      model: '/models/mul-q8_0.gguf',
      model_id: BUNDLED_MODEL_ID,
      model_lib: '',
      vram_required_MB: 4,
      low_resource_required: true,
    },
  ],
};

/** WebLLM's version string of its model libraries (kept for apps that print it; unused here). */
export const modelVersion = 'ruminate-gguf';

/** WebLLM's prefix of model library URLs (apps build `model_lib` from it; ignored here). */
export const modelLibURLPrefix = '';

/** Model ids WebLLM serves function calling for (none here: tools are not supported yet). */
export const functionCallingModelIds: string[] = [];

/** True when `id` is a URL (or a path) of a GGUF file rather than a model id. */
export function looksLikeGgufUrl(id: string): boolean {
  return /\.gguf(\?.*)?$/i.test(id) || /^(https?:|blob:|data:)/i.test(id);
}

/** What `reload` loads for one id. */
export interface ResolvedModel {
  /** The id replies carry in `model`. */
  modelId: string;
  /** The GGUF's URL. */
  url: string;
  /** The record it came from (a synthetic one for a URL). */
  record: ModelRecord;
}

/** Finds `id` in `appConfig` (or takes it as a GGUF URL); unknown ids fail with the ids there are. */
export function resolveModel(id: string, appConfig: AppConfig): ResolvedModel {
  const record = appConfig.model_list.find((r) => r.model_id === id);
  if (record) return { modelId: id, url: record.model, record };
  if (looksLikeGgufUrl(id))
    return { modelId: id, url: id, record: { model: id, model_id: id, model_lib: '' } };
  const known = appConfig.model_list.map((r) => r.model_id);
  throw new RuminateError(
    'unknown-model',
    `Cannot find model record in appConfig for ${id}. Known model ids: ${known.length > 0 ? known.join(', ') : '(none)'}. ` +
      'Pass one of them, add a record { model_id, model: "<GGUF URL>" } to appConfig.model_list, or pass a GGUF URL.',
    { field: 'modelId' },
  );
}

/** The record's overrides with the caller's chat options on top. */
export function chatOptionsOf(record: ModelRecord, chatOpts: ChatOptions | undefined): ChatOptions {
  return { ...(record.overrides ?? {}), ...(chatOpts ?? {}) };
}
