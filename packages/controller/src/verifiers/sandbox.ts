// Runs untrusted JavaScript (a candidate's code plus unit tests) away from the page: in a Web
// Worker (no DOM; fetch, XMLHttpRequest, WebSocket, importScripts and friends removed before the
// code runs) or, in Node, in a worker_threads Worker with V8 heap limits (`resourceLimits`), an
// empty environment and a fresh `vm` context holding only JavaScript built-ins. Either way the
// worker is terminated when the time limit passes. In Node, `vm` is a convenience, not a
// security boundary: the limits stop runaway code, not a determined attacker.

/** Outcome of one sandboxed run. */
export interface SandboxResult {
  /** Tests that passed. */
  passed: number;
  /** Tests run. */
  total: number;
  /** One line per failure (or the reason the run failed as a whole). */
  failures: string[];
  /** True when the worker was terminated for time, memory or a crash. */
  killed: boolean;
}

/** Limits of a sandboxed run. */
export interface SandboxLimits {
  /** Wall-clock limit for the whole run (default 2000 ms). */
  timeoutMs?: number;
  /** Heap limit in MiB (Node only; default 64). */
  memoryMb?: number;
  /** Cancels the run. */
  signal?: AbortSignal;
}

// Defined inside the sandbox, so no host-realm function is reachable from the candidate's code.
const PRELUDE = `
var console = { log: function () {}, error: function () {}, warn: function () {}, info: function () {} };
function assert(c, m) { if (!c) throw new Error(m || 'assertion failed'); }
function assertEqual(a, b, m) {
  var x = JSON.stringify(a), y = JSON.stringify(b);
  if (x !== y) throw new Error((m ? m + ': ' : '') + 'expected ' + y + ', got ' + x);
}
`;

const NODE_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const vm = require('node:vm');
const { code, tests, timeoutMs, prelude } = workerData;
const ctx = vm.createContext(Object.create(null), { codeGeneration: { strings: true, wasm: false }, microtaskMode: 'afterEvaluate' });
const run = (src) => vm.runInContext(src, ctx, { timeout: timeoutMs });
const msg = (e) => { try { return String(e && e.message !== undefined ? e.message : e); } catch (_) { return 'error'; } };
const failures = [];
let passed = 0;
try {
  run(prelude);
  run(code);
  tests.forEach((t, i) => {
    try { run(t); passed++; } catch (e) { failures.push('test ' + (i + 1) + ': ' + msg(e)); }
  });
} catch (e) {
  failures.push('code: ' + msg(e));
}
parentPort.postMessage({ passed, total: tests.length, failures });
`;

const BROWSER_WORKER = `
self.onmessage = function (e) {
  var d = e.data, failures = [], passed = 0;
  ['fetch','XMLHttpRequest','WebSocket','EventSource','importScripts','indexedDB','caches','BroadcastChannel',
   'WebTransport','Worker','SharedWorker','navigator','location','open'].forEach(function (k) {
    try { Object.defineProperty(self, k, { value: undefined, configurable: false }); } catch (_) {}
  });
  var post = self.postMessage.bind(self);
  var g = (0, eval);
  try {
    g(d.prelude);
    g(d.code);
    d.tests.forEach(function (t, i) { try { g(t); passed++; } catch (err) { failures.push('test ' + (i + 1) + ': ' + String(err && err.message)); } });
  } catch (err) { failures.push('code: ' + String(err && err.message)); }
  post({ passed: passed, total: d.tests.length, failures: failures });
};
`;

function isNode(): boolean {
  return (
    typeof process !== 'undefined' &&
    typeof process.versions?.node === 'string' &&
    typeof window === 'undefined'
  );
}

/** Runs `code` then each of `tests` (each a script that throws on failure; `assert`, `assertEqual` are defined). */
export async function runSandboxed(
  code: string,
  tests: readonly string[],
  limits: SandboxLimits = {},
): Promise<SandboxResult> {
  const timeoutMs = limits.timeoutMs ?? 2000;
  const data = { code, tests: [...tests], timeoutMs, prelude: PRELUDE };
  const dead = (reason: string): SandboxResult => ({
    passed: 0,
    total: tests.length,
    failures: [reason],
    killed: true,
  });
  if (limits.signal?.aborted) return dead('aborted');

  let terminate: () => void = () => {};
  const outcome = new Promise<SandboxResult>((resolve) => {
    const finish = (r: SandboxResult) => {
      clearTimeout(timer);
      limits.signal?.removeEventListener('abort', onAbort);
      terminate();
      resolve(r);
    };
    const timer = setTimeout(() => finish(dead(`timed out after ${timeoutMs} ms`)), timeoutMs);
    const onAbort = () => finish(dead('aborted'));
    limits.signal?.addEventListener('abort', onAbort, { once: true });
    const onResult = (r: { passed: number; total: number; failures: string[] }) =>
      finish({ ...r, killed: false });
    if (isNode()) {
      import('node:worker_threads').then(
        ({ Worker }) => {
          const mem = limits.memoryMb ?? 64;
          const w = new Worker(NODE_WORKER, {
            eval: true,
            workerData: data,
            env: {},
            execArgv: [],
            resourceLimits: {
              maxOldGenerationSizeMb: mem,
              maxYoungGenerationSizeMb: Math.max(4, mem / 4),
              stackSizeMb: 4,
            },
          });
          terminate = () => void w.terminate();
          w.on('message', onResult);
          w.on('error', (e: Error) => finish(dead(`worker failed: ${e.message}`)));
          w.on('exit', (c) => finish(dead(`worker exited (${c})`)));
        },
        (e: unknown) => finish(dead(`no worker_threads: ${String(e)}`)),
      );
    } else {
      const url = URL.createObjectURL(new Blob([BROWSER_WORKER], { type: 'text/javascript' }));
      const w = new Worker(url);
      terminate = () => {
        w.terminate();
        URL.revokeObjectURL(url);
      };
      w.onmessage = (e: MessageEvent<{ passed: number; total: number; failures: string[] }>) =>
        onResult(e.data);
      w.onerror = (e) => finish(dead(`worker failed: ${e.message}`));
      w.postMessage(data);
    }
  });
  return outcome;
}
