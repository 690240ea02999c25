// Entry of the GPU pack's kernel-tests.mjs: every WebGPU kernel test file of packages/gpu/test
// (the files `ruminate test-kernels` runs under vitest), bundled with the vitest shim and run by
// the pack's runner. The bundler defines KERNEL_TEST_FILES from the folder's listing and bundles
// each file behind its loader, so a child process evaluates only the file it runs.

import { isRuminateError } from '../../packages/errors/src/index.ts';
import { kernelTestsMain, type TestFileLoaders } from './kernel-test-runner.ts';

/** Base names (without `.gpu.test.ts`) of the test files in packages/gpu/test, set by the bundler. */
declare const KERNEL_TEST_FILES: string[];

const files: TestFileLoaders = Object.fromEntries(
  KERNEL_TEST_FILES.map((name) => [
    `packages/gpu/test/${name}.gpu.test.ts`,
    () => import(`../../packages/gpu/test/${name}.gpu.test.ts`),
  ]),
);

kernelTestsMain(files, process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const what = isRuminateError(e)
      ? `${e.message} [${e.code}]`
      : e instanceof Error
        ? (e.stack ?? e.message)
        : String(e);
    process.stderr.write(`kernel-tests: ${what}\n`);
    process.exit(1);
  },
);
