// The GPU pack's runner for the WebGPU kernel tests, in place of vitest (which the pack does not
// carry). Like vitest's `gpu` project it runs one test file at a time, each in a process of its
// own (a Dawn abort fails that file, not the run), and its `--json` report has the shape of
// vitest's JSON reporter (Jest's: numPassedTests, testResults[].assertionResults[], …), so the
// same reader takes either.

import { type ChildProcess, spawn } from 'node:child_process';
import { RuminateError } from '../../packages/errors/src/index.ts';
import { type CollectedTest, collectedTests } from './vitest-shim.ts';

/** Test files by path (as `packages/gpu/test/x.gpu.test.ts`), each a loader that imports it. */
export type TestFileLoaders = Record<string, () => Promise<unknown>>;

/** One test's outcome, as vitest's JSON reporter writes it. */
export interface AssertionResult {
  ancestorTitles: string[];
  title: string;
  fullName: string;
  status: 'passed' | 'failed' | 'skipped';
  /** Milliseconds the test (with its each-hooks) ran. */
  duration: number;
  failureMessages: string[];
}

/** One file's outcome. */
export interface FileResult {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  startTime: number;
  endTime: number;
  /** Why the file failed outside a test (load error, crash, time limit), or ''. */
  message: string;
  assertionResults: AssertionResult[];
}

/** The whole run, in the shape of vitest's (Jest's) JSON report. */
export interface RunReport {
  numTotalTestSuites: number;
  numFailedTestSuites: number;
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  startTime: number;
  success: boolean;
  testResults: FileResult[];
}

/** Per-test limit, as the vitest `gpu` project's testTimeout. */
export const DEFAULT_TEST_TIMEOUT_MS = 300_000;

const messageOf = (e: unknown): string => (e instanceof Error ? (e.stack ?? e.message) : String(e));

async function withTimeout(run: () => unknown, ms: number, what: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    await Promise.race([Promise.resolve().then(run), hung]);
  } finally {
    clearTimeout(timer);
  }
}

async function runTest(t: CollectedTest, log: (line: string) => void): Promise<AssertionResult> {
  const fullName = [...t.ancestors, t.title].join(' ');
  const base = { ancestorTitles: t.ancestors, title: t.title, fullName };
  if (t.skip) return { ...base, status: 'skipped', duration: 0, failureMessages: [] };
  const started = performance.now();
  const failures: string[] = [];
  try {
    for (const hook of t.beforeEach) await hook();
    await withTimeout(t.fn, t.timeoutMs ?? DEFAULT_TEST_TIMEOUT_MS, `test "${fullName}"`);
  } catch (e) {
    failures.push(messageOf(e));
  }
  for (const hook of t.afterEach) {
    try {
      await hook();
    } catch (e) {
      failures.push(messageOf(e));
    }
  }
  const duration = performance.now() - started;
  log(`  ${failures.length ? '✗' : '✓'} ${fullName} (${(duration / 1000).toFixed(1)} s)`);
  for (const f of failures) log(f.replace(/^/gm, '      '));
  return { ...base, status: failures.length ? 'failed' : 'passed', duration, failureMessages: failures };
}

/** Imports one test file and runs its tests in this process, in declaration order. */
export async function runFile(
  name: string,
  load: () => Promise<unknown>,
  log: (line: string) => void = () => {},
): Promise<FileResult> {
  const startTime = Date.now();
  const done = (status: FileResult['status'], message: string, results: AssertionResult[]): FileResult => ({
    name,
    status,
    startTime,
    endTime: Date.now(),
    message,
    assertionResults: results,
  });
  let file: ReturnType<typeof collectedTests>;
  try {
    await load();
    file = collectedTests();
  } catch (e) {
    collectedTests(); // drop whatever the broken file registered
    return done('failed', `could not load ${name}: ${messageOf(e)}`, []);
  }
  const results: AssertionResult[] = [];
  try {
    for (const hook of file.beforeAll) await hook();
  } catch (e) {
    return done('failed', `beforeAll: ${messageOf(e)}`, []);
  }
  for (const t of file.tests) results.push(await runTest(t, log));
  let message = '';
  try {
    for (const hook of file.afterAll) await hook();
  } catch (e) {
    message = `afterAll: ${messageOf(e)}`;
  }
  const failed = message !== '' || results.some((r) => r.status === 'failed');
  return done(failed ? 'failed' : 'passed', message, results);
}

/** The report of a run from its files' results. */
export function summarize(files: FileResult[], startTime: number): RunReport {
  const tests = files.flatMap((f) => f.assertionResults);
  const failedFiles = files.filter((f) => f.status === 'failed').length;
  const notRun = files.filter((f) => f.status === 'skipped').length;
  const numFailedTests = tests.filter((t) => t.status === 'failed').length;
  return {
    numTotalTestSuites: files.length,
    numFailedTestSuites: failedFiles,
    numTotalTests: tests.length,
    numPassedTests: tests.filter((t) => t.status === 'passed').length,
    numFailedTests,
    numPendingTests: tests.filter((t) => t.status === 'skipped').length,
    startTime,
    success: failedFiles === 0 && notRun === 0 && numFailedTests === 0,
    testResults: files,
  };
}

/** The files whose path contains one of `filters` (all of them without filters). */
export function selectFiles(files: readonly string[], filters: readonly string[]): string[] {
  return filters.length === 0 ? [...files] : files.filter((f) => filters.some((x) => f.includes(x)));
}

/** Options of a run over child processes. */
export interface RunOptions {
  /** Stop starting files, and stop the one running, this many ms after the start (undefined: no limit). */
  timeLimitMs?: number;
  /** Progress lines (stderr). */
  log: (line: string) => void;
  /** Command and arguments that run one file in a child: `[...childCommand, '--child', name]`. */
  childCommand: [string, ...string[]];
}

function runChild(name: string, options: RunOptions, msLeft: number): Promise<FileResult> {
  const [cmd, ...args] = options.childCommand;
  const startTime = Date.now();
  return new Promise((resolve) => {
    // The child's stdout goes to our stderr: tests may print, and our stdout carries the report.
    const child: ChildProcess = spawn(cmd, [...args, '--child', name], { stdio: ['ignore', 2, 2, 'ipc'] });
    let result: FileResult | undefined;
    let killedForTime = false;
    const timer = Number.isFinite(msLeft)
      ? setTimeout(() => {
          killedForTime = true;
          child.kill('SIGKILL');
        }, msLeft)
      : undefined;
    child.on('message', (m) => {
      result = m as FileResult;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (result) return resolve(result);
      const why = killedForTime
        ? 'stopped: the run reached its time limit'
        : `the test process ended (${signal ?? `exit code ${code}`}) before reporting`;
      resolve({ name, status: 'failed', startTime, endTime: Date.now(), message: why, assertionResults: [] });
    });
  });
}

/** Runs `names` one file per child process, in order, within the time limit. */
export async function runFiles(names: readonly string[], options: RunOptions): Promise<RunReport> {
  const startTime = Date.now();
  const results: FileResult[] = [];
  for (const name of names) {
    const msLeft = (options.timeLimitMs ?? Number.POSITIVE_INFINITY) - (Date.now() - startTime);
    if (msLeft <= 0) {
      const now = Date.now();
      results.push({
        name,
        status: 'skipped',
        startTime: now,
        endTime: now,
        message: 'not run: the run reached its time limit',
        assertionResults: [],
      });
      continue;
    }
    options.log(`${name}`);
    const r = await runChild(name, options, msLeft);
    const passed = r.assertionResults.filter((t) => t.status === 'passed').length;
    options.log(
      `${r.status === 'passed' ? '✓' : '✗'} ${name}: ${passed}/${r.assertionResults.length} passed in ${((r.endTime - r.startTime) / 1000).toFixed(1)} s${r.message ? ` — ${r.message.split('\n')[0]}` : ''}`,
    );
    results.push(r);
  }
  return summarize(results, startTime);
}

const USAGE =
  'kernel-tests.mjs [--json] [--time-limit-s N] [FILTER…]  (FILTER: run the files whose path contains it)';

/**
 * The command line of the pack's `kernel-tests.mjs`: runs the selected files (one child each)
 * and prints a summary, or with `--json` the report; `--child NAME` is the child's side.
 */
export async function kernelTestsMain(files: TestFileLoaders, argv: string[]): Promise<number> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (argv[0] === '--child') {
    const name = argv[1] ?? '';
    const load = files[name];
    if (!load) throw new RuminateError('invalid-argument', `no test file ${name} in this bundle`);
    const result = await runFile(name, load, log);
    await new Promise<void>((resolve) => process.send?.(result, () => resolve()) ?? resolve());
    return 0;
  }
  let json = false;
  let timeLimitMs: number | undefined;
  const filters: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--json') json = true;
    else if (a === '--time-limit-s') timeLimitMs = 1000 * Number(argv[++i]);
    else if (a.startsWith('--')) {
      log(`unknown option ${a}\n${USAGE}`);
      return 2;
    } else filters.push(a);
  }
  if (timeLimitMs !== undefined && !(timeLimitMs > 0)) {
    throw new RuminateError('invalid-argument', '--time-limit-s takes a positive number of seconds.', {
      field: 'time-limit-s',
    });
  }
  const names = selectFiles(Object.keys(files), filters);
  if (names.length === 0)
    throw new RuminateError('invalid-argument', `no test file matches ${filters.join(' ')}`);
  const script = process.argv[1] as string;
  const report = await runFiles(names, {
    log,
    ...(timeLimitMs !== undefined ? { timeLimitMs } : {}),
    childCommand: [process.execPath, ...process.execArgv, script],
  });
  log(
    `${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests} skipped; ` +
      `${report.numFailedTestSuites} of ${report.numTotalTestSuites} files failed` +
      `${report.testResults.some((f) => f.status === 'skipped') ? ' (some not run: time limit)' : ''}`,
  );
  if (json) process.stdout.write(`${JSON.stringify(report)}\n`);
  return report.success ? 0 : 1;
}
