// runEval in the page: the bundled model fetched from /models/ into an in-page RuminateEngine
// (WebGPU of this page; the engine's default source opener reads the URL), the held-out set's
// first problems, and a table of accuracy (95% Wilson interval), tokens and time per strategy.
// Query parameters: problems (default 5), offset (0), strategies (greedy,sc@4), seed (1).
import { createEngine, type EvalProblem, type EvalReport, getTask, runEval } from '@ruminate/controller';
import { RuminateEngine } from '@ruminate/runtime';

/** What the page reports for the e2e test. */
export interface PageEvalResult {
  report?: EvalReport;
  loadMs?: number;
  evalMs?: number;
  adapter?: string;
  error?: string;
}

declare global {
  interface Window {
    /** Set when the evaluation finished (or failed). */
    __ruminateEval?: PageEvalResult;
  }
}

const MODEL = '/models/mul-q8_0.gguf';
const PROBLEMS = '/models/mul-eval.jsonl';

function intParam(q: URLSearchParams, name: string, fallback: number): number {
  const v = q.get(name);
  const n = v === null ? fallback : Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`?${name} must be a non-negative integer, got "${v}"`);
  return n;
}

function renderTable(report: EvalReport): string {
  const pct = (x: number) => (x * 100).toFixed(1);
  const rows = report.rows
    .map(
      (r) =>
        `<tr data-strategy="${r.strategy}"><th>${r.strategy}</th><td class="num">${pct(r.accuracy)}%</td><td class="num">${pct(r.ci[0])}–${pct(r.ci[1])}</td><td class="num">${r.meanTokens.toFixed(1)}</td><td class="num">${r.meanMs.toFixed(0)}</td><td>${r.method === 'pool' ? `from a pool of ${report.pool}` : 'run'}</td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th>strategy</th><th>accuracy</th><th>95% CI</th><th>tokens/problem</th><th>ms/problem</th><th>how</th></tr></thead><tbody>${rows}</tbody></table>`;
}

async function main(): Promise<void> {
  const status = document.getElementById('status') as HTMLElement;
  const outEl = document.getElementById('out') as HTMLElement;
  const q = new URLSearchParams(location.search);
  try {
    const count = intParam(q, 'problems', 5);
    const offset = intParam(q, 'offset', 0);
    const seed = intParam(q, 'seed', 1);
    const strategies = (q.get('strategies') ?? 'greedy,sc@4').split(',').map((s) => s.trim());
    const text = await (await fetch(PROBLEMS)).text();
    const problems = text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as EvalProblem)
      .slice(offset, offset + count);
    if (problems.length === 0) throw new Error('no problems selected');
    const adapter = await navigator.gpu?.requestAdapter();
    const adapterName = adapter ? `${adapter.info.vendor} / ${adapter.info.architecture}` : 'none';
    status.textContent = `loading ${MODEL} on ${adapterName}…`;
    const t0 = performance.now();
    const engine = await createEngine({
      // Shipped default kernels, as the committed eval figures were measured with.
      engine: new RuminateEngine({ maxSequences: 40, tuning: 'off' }),
      model: { url: new URL(MODEL, location.href).href },
    });
    const loadMs = performance.now() - t0;
    const t1 = performance.now();
    const report = await runEval({
      engine,
      task: getTask('mul'),
      problems,
      strategies,
      seed,
      onProgress: (done, total) => {
        status.textContent = `${done}/${total} problems, ${((performance.now() - t1) / 1000).toFixed(0)} s`;
      },
    });
    const evalMs = performance.now() - t1;
    status.textContent = `${problems.length} problems (from #${offset}) on ${adapterName}: model loaded in ${(loadMs / 1000).toFixed(1)} s, evaluated in ${(evalMs / 1000).toFixed(1)} s`;
    outEl.innerHTML = renderTable(report);
    window.__ruminateEval = { report, loadMs, evalMs, adapter: adapterName };
  } catch (e) {
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    status.textContent = `failed: ${message}`;
    window.__ruminateEval = { error: message };
  }
}

void main();
