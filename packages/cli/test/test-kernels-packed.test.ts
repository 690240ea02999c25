// `ruminate test-kernels` runs vitest in the repository and the GPU pack's bundled runner when
// the CLI runs from the pack, where kernel-tests.mjs sits beside the CLI's bundle.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { packedKernelTests } from '../src/commands/test-kernels.ts';

describe('test-kernels in the GPU pack', () => {
  it('finds the bundled runner beside the CLI bundle, and none in the repository', () => {
    expect(packedKernelTests()).toBeUndefined();
    const dir = mkdtempSync(join(tmpdir(), 'ruminate-pack-'));
    try {
      const cli = pathToFileURL(join(dir, 'ruminate.mjs')).href;
      expect(packedKernelTests(cli)).toBeUndefined();
      writeFileSync(join(dir, 'kernel-tests.mjs'), '');
      expect(packedKernelTests(cli)).toBe(join(dir, 'kernel-tests.mjs'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
