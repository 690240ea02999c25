/// <reference types="vitest/config" />
import { defineConfig } from 'vite';

// Vitest's reporter calls Map.groupBy (Node ≥ 21) when it formats a failure; on Node 20 that
// threw instead of printing the failure. The reporter runs in this (main) process.
if (!('groupBy' in Map)) {
  Object.defineProperty(Map, 'groupBy', {
    value<T, K>(items: Iterable<T>, key: (item: T, index: number) => K): Map<K, T[]> {
      const out = new Map<K, T[]>();
      let i = 0;
      for (const item of items) {
        const k = key(item, i++);
        const list = out.get(k);
        if (list) list.push(item);
        else out.set(k, [item]);
      }
      return out;
    },
  });
}

// One config for the whole workspace. Vitest runs two projects:
// - unit: pure TypeScript, in parallel;
// - gpu:  tests that open a WebGPU device through Dawn for Node on SwiftShader
//         (`*.gpu.test.ts`) or drive llama.cpp (`*.parity.test.ts`). SwiftShader already
//         uses every core, so these run one file at a time, each in its own process
//         (a Dawn abort then fails one file, not the run).
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.{ts,tsx}', 'tools/**/*.test.ts'],
          exclude: ['**/*.gpu.test.ts', '**/*.parity.test.ts', '**/node_modules/**'],
          environment: 'node',
          // Generous: CI machines are shared and 2-core; a timeout here means "hung", not "slow".
          testTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'gpu',
          include: ['packages/*/test/**/*.gpu.test.ts', 'packages/*/test/**/*.parity.test.ts'],
          environment: 'node',
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
