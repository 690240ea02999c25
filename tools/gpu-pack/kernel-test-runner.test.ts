// The GPU pack's test runner and vitest shim: test files register through the shim as they do
// under vitest, and the runner reports passes, failures (with the assertion's message), skips,
// hooks, hung tests and broken files in the shape of vitest's JSON reporter.
import { describe as vdescribe, expect as vexpect, it as vit } from 'vitest';
import { runFile, runFiles, selectFiles, summarize } from './kernel-test-runner.ts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from './vitest-shim.ts';

vdescribe('the pack’s kernel-test runner', () => {
  vit('runs a file’s tests in order with their hooks and reports each outcome', async () => {
    const calls: string[] = [];
    const result = await runFile('demo.gpu.test.ts', async () => {
      beforeAll(() => {
        calls.push('beforeAll');
      });
      describe('outer', () => {
        it('passes', () => {
          calls.push('passes');
          expect({ a: [1, 2] }).toEqual({ a: [1, 2] });
        });
        it('fails', () => {
          expect([1, 2, 3]).toContain(4);
        });
        it.skip('is skipped', () => {
          calls.push('skipped ran');
        });
        // vitest applies a suite's hooks to every test in it, also those declared before the hook.
        beforeEach(() => {
          calls.push('beforeEach');
        });
      });
      afterAll(() => {
        calls.push('afterAll');
      });
    });
    vexpect(calls).toEqual(['beforeAll', 'beforeEach', 'passes', 'beforeEach', 'afterAll']);
    vexpect(result.status).toBe('failed');
    vexpect(result.assertionResults.map((t) => [t.fullName, t.status])).toEqual([
      ['outer passes', 'passed'],
      ['outer fails', 'failed'],
      ['outer is skipped', 'skipped'],
    ]);
    vexpect(result.assertionResults[1]?.failureMessages[0]).toMatch(/expected \[ 1, 2, 3 \] to include 4/);
  });

  vit('gives vitest’s matchers their vitest meaning', async () => {
    const result = await runFile('matchers.gpu.test.ts', async () => {
      it('rejects, throws, closeness', async () => {
        await expect(Promise.reject(new Error('boom'))).rejects.toThrow('boom');
        expect(() => {
          throw new TypeError('bad');
        }).toThrow(TypeError);
        expect(0.1 + 0.2).toBeCloseTo(0.3, 10);
        expect({ x: 1, y: 2 }).toMatchObject({ x: 1 });
        expect(new Float32Array([1, 2])).not.toEqual(new Float32Array([1, 3]));
      });
    });
    vexpect(result.assertionResults[0]?.failureMessages).toEqual([]);
    vexpect(result.status).toBe('passed');
  });

  vit('fails a hung test at its timeout and a file that does not load', async () => {
    const hung = await runFile('hung.gpu.test.ts', async () => {
      it('never settles', () => new Promise(() => {}), 20);
      it('still runs after it', () => {});
    });
    vexpect(hung.assertionResults.map((t) => t.status)).toEqual(['failed', 'passed']);
    vexpect(hung.assertionResults[0]?.failureMessages[0]).toContain('timed out after 20 ms');
    const broken = await runFile('broken.gpu.test.ts', async () => {
      it('registered before the throw', () => {});
      throw new Error('syntax, say');
    });
    vexpect(broken.status).toBe('failed');
    vexpect(broken.message).toContain('could not load broken.gpu.test.ts: Error: syntax, say');
    vexpect(broken.assertionResults).toEqual([]);
  });

  vit(
    'counts a run as vitest’s JSON reporter does, and reports files past the time limit as not run',
    async () => {
      const pass = await runFile('a.gpu.test.ts', async () => it('ok', () => {}));
      const report = summarize([pass], 0);
      vexpect(report).toMatchObject({
        numTotalTests: 1,
        numPassedTests: 1,
        numFailedTests: 0,
        success: true,
      });
      const late = await runFiles(['b.gpu.test.ts'], {
        timeLimitMs: 0,
        log: () => {},
        childCommand: ['/nonexistent'],
      });
      vexpect(late.testResults[0]).toMatchObject({
        status: 'skipped',
        message: 'not run: the run reached its time limit',
      });
      vexpect(late.success).toBe(false);
    },
  );

  vit('selects files by substring, all of them without a filter', () => {
    const files = ['packages/gpu/test/matmul.gpu.test.ts', 'packages/gpu/test/norm.gpu.test.ts'];
    vexpect(selectFiles(files, [])).toEqual(files);
    vexpect(selectFiles(files, ['norm'])).toEqual(['packages/gpu/test/norm.gpu.test.ts']);
    vexpect(selectFiles(files, ['packages/gpu/test/'])).toEqual(files);
  });
});
