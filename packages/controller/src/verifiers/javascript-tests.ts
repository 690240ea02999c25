// A verifier that runs JavaScript unit tests against the code a candidate wrote, in a sandboxed
// worker with a time limit (see sandbox.ts). Score: the fraction of tests passed.

import { stripThinking } from './answer.ts';
import { runSandboxed } from './sandbox.ts';
import type { Verifier } from './types.ts';

/** Options of `javascriptTests`. */
export interface JavascriptTestsOptions {
  /** Test scripts; each throws on failure (`assert(cond, msg)` and `assertEqual(a, b)` are defined). */
  tests: readonly string[];
  /** Time limit of a run (default 2000 ms). */
  timeoutMs?: number;
  /** Heap limit in MiB (Node; default 64). */
  memoryMb?: number;
}

/** The code in a candidate: its last ```js / ```javascript fenced block, else any last fence, else the text. */
export function extractCode(text: string): string {
  const body = stripThinking(text);
  const fences = [...body.matchAll(/```([a-zA-Z]*)\s*\n([\s\S]*?)```/g)];
  const js = fences.filter((m) => /^(js|javascript|ts|typescript)?$/i.test(m[1] ?? ''));
  const pick = js[js.length - 1] ?? fences[fences.length - 1];
  return pick ? (pick[2] ?? '') : body;
}

/** A verifier passing candidates whose code passes every test. */
export function javascriptTests(opts: JavascriptTestsOptions): Verifier {
  return {
    name: 'javascript-tests',
    scale: 'probability',
    async verify(input, signal) {
      const limits: Parameters<typeof runSandboxed>[2] = { signal };
      if (opts.timeoutMs !== undefined) limits.timeoutMs = opts.timeoutMs;
      if (opts.memoryMb !== undefined) limits.memoryMb = opts.memoryMb;
      const r = await runSandboxed(extractCode(input.text), opts.tests, limits);
      const score = r.total === 0 ? 0 : r.passed / r.total;
      const verdict = {
        passed: r.total > 0 && r.passed === r.total && !r.killed,
        score: r.killed ? 0 : score,
      };
      return r.failures.length > 0 ? { ...verdict, reason: r.failures.join('; ') } : verdict;
    },
  };
}
