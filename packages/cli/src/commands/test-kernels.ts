import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { RuminateError } from '@ruminate/gpu';
import { disassemble, emitMatmul, ModuleBuilder, WEIGHT_TYPES, type WeightType } from '@ruminate/wasm';
import type { Command } from '../command.ts';
import { log, out } from '../log.ts';

const usage = [
  'ruminate test-kernels [--backend webgpu|wasm] [--all] [--seed N] [--disassemble TYPE[:KxN]] [FILTER…]',
  '',
  '  --backend B   webgpu (default): the WGSL kernels on Dawn; wasm: the WebAssembly kernels',
  '  --all         check every candidate of every kernel’s tuning space (CI checks a seeded sample of 4)',
  '  --seed N      replay a run’s random inputs and candidate sample',
  '  --disassemble TYPE[:KxN]  (wasm) print the matmul kernel generated for a weight type and shape',
  '                (default shape 512x512, one activation row) instead of running tests',
  '  FILTER        only test files whose path contains FILTER (e.g. matmul, attention)',
].join('\n');

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
      },
    });
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
    const r = spawnSync('pnpm', ['exec', 'vitest', 'run', '--project', wasm ? 'unit' : 'gpu', ...filters], {
      stdio: 'inherit',
      env,
    });
    return r.status ?? 1;
  },
};
