import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import type { Command } from '../command.ts';
import { log } from '../log.ts';

export const testKernelsCommand: Command = {
  name: 'test-kernels',
  summary: 'Check kernels against float64 references (--all: every tuning candidate, not a sample)',
  usage: [
    'ruminate test-kernels [--all] [--seed N] [FILTER…]',
    '',
    '  --all      check every candidate of every kernel’s tuning space (CI checks a seeded sample of 4)',
    '  --seed N   replay a run’s random inputs and candidate sample',
    '  FILTER     only test files whose path contains FILTER (e.g. matmul, attention)',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { all: { type: 'boolean' }, seed: { type: 'string' } },
    });
    const env = { ...process.env };
    if (values.all) env.RUMINATE_ALL_CANDIDATES = '1';
    if (values.seed) env.RUMINATE_TEST_SEED = values.seed;
    const filters = positionals.length > 0 ? positionals : ['packages/gpu/test/'];
    log(`checking kernels${values.all ? ' (every candidate)' : ''}: ${filters.join(' ')}`);
    const r = spawnSync('pnpm', ['exec', 'vitest', 'run', '--project', 'gpu', ...filters], {
      stdio: 'inherit',
      env,
    });
    return r.status ?? 1;
  },
};
