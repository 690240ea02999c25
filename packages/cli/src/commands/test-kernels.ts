import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RuminateError } from '@ruminate/gpu';
import { disassemble, emitMatmul, ModuleBuilder, WEIGHT_TYPES, type WeightType } from '@ruminate/wasm';
import type { Command } from '../command.ts';
import { log, out } from '../log.ts';

const usage = [
  'ruminate test-kernels [--backend webgpu|wasm] [--all] [--seed N] [--json] [--time-limit-s N]',
  '                      [--disassemble TYPE[:KxN]] [FILTER…]',
  '',
  '  --backend B   webgpu (default): the WGSL kernels on Dawn; wasm: the WebAssembly kernels',
  '  --all         check every candidate of every kernel’s tuning space (CI checks a seeded sample of 4)',
  '  --seed N      replay a run’s random inputs and candidate sample',
  '  --json        print the results as one JSON object (the shape of vitest’s JSON reporter)',
  '  --time-limit-s N  stop after N seconds (the GPU pack reports the files it did not reach as skipped)',
  '  --disassemble TYPE[:KxN]  (wasm) print the matmul kernel generated for a weight type and shape',
  '                (default shape 512x512, one activation row) instead of running tests',
  '  FILTER        only test files whose path contains FILTER (e.g. matmul, attention)',
].join('\n');

/**
 * The GPU pack's bundled kernel-test runner (tools/gpu-pack) when this CLI runs from the pack,
 * where it sits beside the CLI's bundle; undefined in the repository, where vitest runs them.
 */
export function packedKernelTests(cliUrl = import.meta.url): string | undefined {
  const path = fileURLToPath(new URL('./kernel-tests.mjs', cliUrl));
  return existsSync(path) ? path : undefined;
}

/** The text of the wasm matmul kernel for `spec` (`q4_0`, `q8_0:512x1376`, …). */
export function disassembleMatmul(spec: string): string {
  const [type, shape = '512x512'] = spec.split(':');
  const [k, n] = shape.split('x').map(Number);
  if (!(WEIGHT_TYPES as readonly string[]).includes(type ?? '') || !k || !n) {
    throw new RuminateError(
      'invalid-argument',
      `--disassemble takes TYPE[:KxN] with TYPE one of ${WEIGHT_TYPES.join(', ')}, got "${spec}".`,
      { field: 'disassemble' },
    );
  }
  const mod = new ModuleBuilder().importMemory({ initial: 1 });
  emitMatmul(mod, { type: type as WeightType, k, n, actTile: 1 });
  return disassemble(mod.encode());
}

export const testKernelsCommand: Command = {
  name: 'test-kernels',
  summary: 'Check kernels against float64 references (--all: every tuning candidate, not a sample)',
  usage,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        all: { type: 'boolean' },
        seed: { type: 'string' },
        backend: { type: 'string', default: 'webgpu' },
        disassemble: { type: 'string' },
        json: { type: 'boolean' },
        'time-limit-s': { type: 'string' },
      },
    });
    const limitS = values['time-limit-s'] === undefined ? undefined : Number(values['time-limit-s']);
    if (limitS !== undefined && !(limitS > 0)) {
      throw new RuminateError('invalid-argument', '--time-limit-s takes a positive number of seconds.', {
        field: 'time-limit-s',
      });
    }
    if (values.backend !== 'webgpu' && values.backend !== 'wasm') {
      log(`ruminate test-kernels: --backend must be webgpu or wasm\n\n${usage}`);
      return 2;
    }
    if (values.disassemble !== undefined) {
      out(disassembleMatmul(values.disassemble));
      return 0;
    }
    const env = { ...process.env };
    if (values.all) env.RUMINATE_ALL_CANDIDATES = '1';
    if (values.seed) env.RUMINATE_TEST_SEED = values.seed;
    const wasm = values.backend === 'wasm';
    const filters =
      positionals.length > 0 ? positionals : [wasm ? 'packages/wasm/test/' : 'packages/gpu/test/'];
    log(`checking ${values.backend} kernels${values.all ? ' (every candidate)' : ''}: ${filters.join(' ')}`);
    const packed = packedKernelTests();
    if (packed) {
      if (wasm) {
        throw new RuminateError('invalid-argument', 'The GPU pack carries the WebGPU kernel tests only.', {
          field: 'backend',
        });
      }
      const args = [
        ...(values.json ? ['--json'] : []),
        ...(limitS ? ['--time-limit-s', String(limitS)] : []),
      ];
      const r = spawnSync(process.execPath, [packed, ...args, ...filters], { stdio: 'inherit', env });
      return r.status ?? 1;
    }
    // vitest's JSON reporter writes to a file, so the tests' own output never mixes into the JSON.
    const report = values.json ? join(mkdtempSync(join(tmpdir(), 'ruminate-kernels-')), 'report.json') : '';
    const r = spawnSync(
      'pnpm',
      [
        'exec',
        'vitest',
        'run',
        '--project',
        wasm ? 'unit' : 'gpu',
        ...(report ? ['--reporter=json', `--outputFile=${report}`] : []),
        ...filters,
      ],
      {
        stdio: ['ignore', report ? 2 : 'inherit', 'inherit'],
        env,
        ...(limitS ? { timeout: limitS * 1000 } : {}),
      },
    );
    if (report) {
      if (existsSync(report)) out(readFileSync(report, 'utf8').trim());
      rmSync(join(report, '..'), { recursive: true, force: true });
    }
    return r.status ?? 1;
  },
};
