import type { Command } from '../command.ts';
import { log } from '../log.ts';

/** One `ruminate bench <name>` suite; each lives in its own `bench-<name>.ts` module. */
export interface BenchSuite {
  /** The word after `bench`. */
  name: string;
  /** One line for the help text. */
  summary: string;
  /** Runs the suite with the arguments after its name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

/** Suites register here (lazily imported so one suite's dependencies never slow another). */
const suites: { name: string; summary: string; load: () => Promise<BenchSuite> }[] = [
  {
    name: 'kernels',
    summary:
      'untuned vs tuned kernels on model shapes, vs tfjs and onnxruntime-web (bench/results/kernels.json, or --out FILE; ' +
      '--no-browser: no peers; --quick: the q4_0 matmuls only); ' +
      '--backend wasm: the wasm matmul kernels, one thread and all threads (bench/results/kernels-wasm.json)',
    load: async () => (await import('./bench-kernels.ts')).benchKernels,
  },
  {
    name: 'decode',
    summary:
      'prefill and decode tok/s at 1, 4, 16 parallel sequences against the bandwidth limit (bench/results/decode.json, or --out FILE); ' +
      '--constrained: JSON-Schema-constrained vs free step time (bench/results/decode-constrained-<backend>.json)',
    load: async () => (await import('./bench-decode.ts')).benchDecode,
  },
  {
    name: 'peers',
    summary: 'Ruminate vs wllama, same GGUF in headless Chromium (bench/results/peers.json)',
    load: async () => (await import('./bench-peers.ts')).benchPeers,
  },
  {
    name: 'serve',
    summary:
      'loopback load test of ruminate serve: 32 clients vs the same 128 requests one by one (bench/results/serve.json)',
    load: async () => (await import('./bench-serve.ts')).benchServe,
  },
];

/** Adds a suite (used by suites defined in other modules). */
export function registerBenchSuite(name: string, summary: string, load: () => Promise<BenchSuite>): void {
  suites.push({ name, summary, load });
}

export const benchCommand: Command = {
  name: 'bench',
  summary: 'Benchmarks: prints a table and writes bench/results/<suite>.json',
  get usage() {
    return [
      'ruminate bench <suite> [options]',
      '',
      ...suites.map((s) => `  ${s.name.padEnd(8)}  ${s.summary}`),
    ].join('\n');
  },
  async run(argv) {
    const [name, ...rest] = argv;
    const suite = suites.find((s) => s.name === name);
    if (!suite) {
      log(`ruminate bench: unknown suite "${name ?? ''}"\n\n${benchCommand.usage}`);
      return 2;
    }
    return (await suite.load()).run(rest);
  },
};
