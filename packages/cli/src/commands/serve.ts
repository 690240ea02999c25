// `ruminate serve`: an OpenAI-compatible HTTP server over a model file (@ruminate/server). Stops
// on SIGTERM or SIGINT after the requests in flight have finished (new ones get 503 meanwhile).

import { parseArgs } from 'node:util';
import { RuminateError } from '@ruminate/errors';
import { serveModel } from '@ruminate/server';
import { BACKEND_OPTIONS, BACKEND_USAGE, backendOptions } from '../backend-option.ts';
import type { Command } from '../command.ts';
import { log, out } from '../log.ts';

const usage = [
  'ruminate serve --model PATH [--port 8080] [--host 127.0.0.1] [--api-key KEY] [--max-sequences N]',
  '               [--model-name NAME] [--context N] [--kv-pages N] [--max-body-bytes N] [--backend …] [--threads N]',
  '',
  '  --model PATH        a GGUF file',
  '  --port N            port to listen on (default 8080; 0 picks a free one, printed on stdout)',
  '  --host H            interface (default 127.0.0.1, loopback only)',
  '  --api-key KEY       require Authorization: Bearer KEY',
  '  --max-sequences N   sequences the engine holds at once over all requests (default 64);',
  '                      a request that does not fit while others run gets 429 with Retry-After',
  '  --model-name NAME   the name /v1/models lists (default: the file name without .gguf)',
  '  --context N         context length',
  '  --kv-pages N        KV-cache pages of 16 tokens (default: a few full-context sequences); size it',
  '                      to the concurrency served, or requests get 429 while others run',
  '  --max-body-bytes N  largest request body (default 1048576; larger gets 413)',
  '  --allow-code-verifiers  accept { tests } verifiers (they run the client\u2019s JavaScript here;',
  '                      off by default: Node\u2019s vm is not a security boundary)',
  BACKEND_USAGE,
  '',
  'Routes: POST /v1/chat/completions, POST /v1/completions (streaming or not; Ruminate\u2019s strategy',
  'and budget fields), GET /v1/models, GET /health.',
].join('\n');

function positiveInt(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    throw new RuminateError('invalid-argument', `--${name} must be a non-negative integer, got "${v}".`, {
      field: name,
    });
  }
  return n;
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'An OpenAI-compatible HTTP server over a model (continuous batching across requests)',
  usage,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        model: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'api-key': { type: 'string' },
        'max-sequences': { type: 'string' },
        'model-name': { type: 'string' },
        context: { type: 'string' },
        'kv-pages': { type: 'string' },
        'max-body-bytes': { type: 'string' },
        'allow-code-verifiers': { type: 'boolean', default: false },
        ...BACKEND_OPTIONS,
      },
    });
    if (!values.model) {
      log(`ruminate serve: give --model\n\n${usage}`);
      return 2;
    }
    const opts: Parameters<typeof serveModel>[0] = { model: values.model, log, ...backendOptions(values) };
    const port = positiveInt(values.port, 'port');
    const maxSequences = positiveInt(values['max-sequences'], 'max-sequences');
    const context = positiveInt(values.context, 'context');
    const maxBody = positiveInt(values['max-body-bytes'], 'max-body-bytes');
    if (port !== undefined) opts.port = port;
    if (values.host !== undefined) opts.host = values.host;
    if (values['api-key'] !== undefined) opts.apiKey = values['api-key'];
    if (maxSequences !== undefined) opts.maxSequences = maxSequences;
    if (values['model-name'] !== undefined) opts.modelName = values['model-name'];
    if (context !== undefined) opts.contextLength = context;
    const kvPages = positiveInt(values['kv-pages'], 'kv-pages');
    if (kvPages !== undefined) opts.kvPages = kvPages;
    if (maxBody !== undefined) opts.maxBodyBytes = maxBody;
    if (values['allow-code-verifiers']) opts.allowCodeVerifiers = true;
    const served = await serveModel(opts);
    const info = await served.engine.info();
    log(`serving ${values.model} (${info?.backend ?? '?'}) at ${served.server.url}`);
    out(JSON.stringify({ url: served.server.url, port: served.server.port }));
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        log(`${signal}: finishing the requests in flight, refusing new ones`);
        served.close().then(resolve, resolve);
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    log('stopped');
    return 0;
  },
};
