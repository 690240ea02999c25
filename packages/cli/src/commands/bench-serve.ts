// `ruminate bench serve`: the bounded loopback load test of `ruminate serve` (bench/serve/load-test.ts).
// Starts `ruminate serve` as a child process on a free loopback port (so the clients' JSON work
// does not share the server's event loop), warms it up, sends the same fixed requests one by one
// and then from concurrent clients, prints the table and writes bench/results/serve.json. Exits 1
// when a reply was malformed or lost.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadRequests, type PhaseResult, runPhase } from '@ruminate/bench/serve/load-test.ts';
import { RuminateError } from '@ruminate/errors';
import { log, out, table } from '../log.ts';
import type { BenchSuite } from './bench.ts';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

const usage = [
  'ruminate bench serve [--model PATH] [--clients 32] [--requests 128] [--max-tokens 48] [--threads N]',
  '                     [--max-sequences 192] [--kv-pages 1024] [--json]',
  '',
  '  Starts `ruminate serve` on a free loopback port (a child process), then sends a fixed list of',
  '  requests (plain and chat, streaming and not, n = 1, 2, 4; the prompts of models/mul-eval.jsonl)',
  '  one by one, then from --clients concurrent clients. Reports requests/s, p50/p99 latency and',
  '  aggregate tokens/s of both, checks every reply, and writes bench/results/serve.json.',
  '  --threads: the server\u2019s compute threads (default: every core, as `ruminate serve`).',
].join('\n');

function int(v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new RuminateError('invalid-argument', `--${name} must be a positive integer, got "${v}".`, {
      field: name,
    });
  return n;
}

/** Starts `ruminate serve` with `args`; resolves with its base URL once it listens. */
async function startServe(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const main = join(REPO_ROOT, 'packages', 'cli', 'src', 'main.ts');
  // The same Node and loader flags (tsx) as this process.
  const child = spawn(process.execPath, [...process.execArgv, main, 'serve', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr = (stderr + String(d)).slice(-4000)));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const url = await new Promise<string>((resolve, reject) => {
    lines.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`ruminate serve exited with ${code}: ${stderr}`)));
  });
  return { url, child };
}

export const benchServe: BenchSuite = {
  name: 'serve',
  summary:
    'loopback load test of ruminate serve: concurrent clients vs one by one (bench/results/serve.json)',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        model: { type: 'string' },
        clients: { type: 'string' },
        requests: { type: 'string' },
        'max-tokens': { type: 'string' },
        threads: { type: 'string' },
        'max-sequences': { type: 'string' },
        'kv-pages': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      out(usage);
      return 0;
    }
    const model = values.model ?? join(REPO_ROOT, 'models', 'mul-q8_0.gguf');
    const clients = int(values.clients, 'clients', 32);
    const count = int(values.requests, 'requests', 128);
    const maxTokens = int(values['max-tokens'], 'max-tokens', 48);
    const prompts = (await readFile(join(REPO_ROOT, 'models', 'mul-eval.jsonl'), 'utf8'))
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => (JSON.parse(l) as { prompt: string }).prompt);
    const serveArgs = [
      '--model',
      model,
      '--model-name',
      'bench',
      '--max-sequences',
      String(int(values['max-sequences'], 'max-sequences', 192)),
      '--kv-pages',
      String(int(values['kv-pages'], 'kv-pages', 1024)),
    ];
    const threads = values.threads === undefined ? cpus().length : int(values.threads, 'threads', 1);
    serveArgs.push('--threads', String(threads));
    const { url, child } = await startServe(serveArgs);
    let phases: PhaseResult[];
    try {
      log(`ruminate serve at ${url}; warming up`);
      await runPhase(url, loadRequests(prompts.slice(-8), 8, maxTokens, 'bench'), 4, 'warm-up');
      const requests = loadRequests(prompts, count, maxTokens, 'bench');
      log(`${count} requests one by one…`);
      const serial = await runPhase(url, requests, 1, 'one by one');
      log(`${count} requests from ${clients} clients…`);
      const concurrent = await runPhase(url, requests, clients, `${clients} clients`);
      phases = [serial, concurrent];
    } finally {
      child.kill('SIGTERM');
    }
    const [serial, concurrent] = phases as [PhaseResult, PhaseResult];
    const speedup = concurrent.tokensPerS / serial.tokensPerS;
    const result = {
      date: new Date().toISOString(),
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`,
      node: process.version,
      model,
      requests: count,
      clients,
      maxTokens,
      serverThreads: threads,
      mix: 'plain and chat completions (3:1), streaming every other request, n cycling 1, 2, 4',
      phases,
      speedup,
    };
    const path = join(REPO_ROOT, 'bench', 'results', 'serve.json');
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, `${JSON.stringify(result, null, 2)}\n`);
    if (values.json) out(JSON.stringify(result));
    else {
      out(
        table(
          [
            'phase',
            'requests',
            'wall s',
            'req/s',
            'p50 ms',
            'p99 ms',
            'tokens',
            'tok/s',
            'malformed',
            'lost',
            'foreign',
          ],
          phases.map((p) => [
            p.phase,
            p.requests,
            p.wallS.toFixed(1),
            p.requestsPerS.toFixed(2),
            p.p50Ms.toFixed(0),
            p.p99Ms.toFixed(0),
            p.tokens,
            p.tokensPerS.toFixed(0),
            p.malformed,
            p.lost,
            p.foreign,
          ]),
        ),
      );
      out(
        `aggregate tokens/s, ${clients} clients vs one by one: ${speedup.toFixed(2)}×  (${result.machine}; ${path})`,
      );
    }
    for (const p of phases) for (const problem of p.problems) log(`${p.phase}: ${problem}`);
    return phases.some((p) => p.malformed > 0 || p.lost > 0) ? 1 : 0;
  },
};
