import { parseArgs } from 'node:util';
import {
  FileTuningStore,
  kernelContextFor,
  MemoryTuningStore,
  requestDevice,
  Tuner,
  tuningIdentity,
} from '@ruminate/gpu';
import {
  modelMatmulProblems,
  openFileSource,
  parseGguf,
  RuminateEngine,
  TUNED_ROW_COUNTS,
  tuneModelKernels,
} from '@ruminate/runtime';
import type { Command } from '../command.ts';
import { log, out, table } from '../log.ts';

export const tuneCommand: Command = {
  name: 'tune',
  summary: 'Tune the kernels for a model’s shapes on this device and cache the winners',
  usage: [
    'ruminate tune --model PATH [--backend webgpu|wasm] [--budget-ms N] [--rows 1,4,16,128] [--full] [--fresh] [--json]',
    '',
    '  --backend B    webgpu (default): the WGSL kernels; wasm: the WebAssembly matmuls (every shape at',
    '                 one and 16 activation rows, winners cached per CPU as a first load would)',
    '  --budget-ms N  total tuning time (default 30000; 120000 on SwiftShader; wasm 60000)',
    '  --rows LIST    activation-row counts to tune (decode batches and the prefill chunk)',
    '  --full         tune on the model’s exact sizes (default on GPUs; SwiftShader tunes on k/4)',
    '  --fresh        ignore and do not update the tuning cache',
    '  --json         print the decisions as JSON',
  ].join('\n'),
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        model: { type: 'string' },
        'budget-ms': { type: 'string' },
        rows: { type: 'string' },
        full: { type: 'boolean' },
        fresh: { type: 'boolean' },
        json: { type: 'boolean' },
        backend: { type: 'string', default: 'webgpu' },
      },
    });
    if (!values.model || (values.backend !== 'webgpu' && values.backend !== 'wasm')) {
      log(`ruminate tune: --model PATH is required, --backend is webgpu or wasm\n\n${tuneCommand.usage}`);
      return 2;
    }
    if (values.backend === 'wasm') return tuneWasm(values.model, values);
    const source = await openFileSource(values.model);
    const header = await parseGguf(source);
    await source.close?.();
    const rows = values.rows ? values.rows.split(',').map(Number) : [...TUNED_ROW_COUNTS];
    const problems = modelMatmulProblems(header.tensors, rows).length;
    const acquired = await requestDevice();
    const swiftshader = acquired.info.architecture === 'swiftshader';
    const shrink = swiftshader && !values.full;
    const budgetMs = Number(values['budget-ms'] ?? (swiftshader ? 120_000 : 30_000));
    const store = values.fresh ? new MemoryTuningStore() : new FileTuningStore();
    const tuner = await Tuner.open(acquired.device, tuningIdentity(acquired.info), store);
    const ctx = kernelContextFor(acquired);
    log(
      `${values.model}: ${problems} matmul problems; budget ${budgetMs} ms${shrink ? ', GEMM candidates timed on k/4 × n/4 sizes' : ''}`,
    );
    let last = '';
    const { report, tunables } = await tuneModelKernels(ctx, tuner, header.tensors, {
      rows,
      budgetMs,
      reduced: shrink,
      onProgress: (p) => {
        if (p.bucket === last) return;
        last = p.bucket;
        log(`  [${p.done + 1}/${p.total}] ${p.op} ${p.bucket}`);
      },
    });
    acquired.device.destroy();
    const decisions = report.results.map((r, i) => {
      const t = tunables[i] as (typeof tunables)[number];
      const index = t.candidates.findIndex((c) => JSON.stringify(c) === JSON.stringify(r.winner));
      return {
        op: r.op,
        bucket: r.bucket,
        tensors: t.problem.tensors.length,
        winner: t.ids[index] ?? JSON.stringify(r.winner),
        isDefault: index === t.defaultIndex,
        defaultMs: r.defaultMs,
        ms: r.ms,
        speedup: r.defaultMs / r.ms,
        timed: r.timed,
        candidates: r.candidates,
        tuneMs: r.tuneMs,
        cached: r.cached,
        /** Left for the next run: the budget ran out before this problem. */
        untimed: r.timed === 0 && !r.cached,
      };
    });
    if (values.json) {
      out(JSON.stringify({ model: values.model, timer: report.timer, totalMs: report.totalMs, decisions }));
      return 0;
    }
    out(
      table(
        ['op', 'bucket', 'tensors', 'chosen', 'default ms', 'chosen ms', 'speedup', 'timed', 'tune s'],
        decisions.map((d) => [
          d.op,
          d.bucket,
          d.tensors,
          d.isDefault ? `${d.winner} (default)` : d.winner,
          d.untimed ? '—' : d.defaultMs.toFixed(3),
          d.untimed ? '—' : d.ms.toFixed(3),
          d.untimed ? '—' : `${d.speedup.toFixed(2)}×`,
          `${d.timed}/${d.candidates}`,
          d.cached ? 'cached' : d.untimed ? 'next run (budget spent)' : (d.tuneMs / 1000).toFixed(1),
        ]),
      ),
    );
    out(
      `\ntuned ${decisions.filter((d) => !d.untimed).length} of ${decisions.length} problems in ${(report.totalMs / 1000).toFixed(1)} s (${report.timer} timer)`,
    );
    return 0;
  },
};

/** `tune --backend wasm`: a load on the wasm backend that times every untuned matmul shape within the budget and caches the winners. */
async function tuneWasm(
  model: string,
  values: { 'budget-ms'?: string; fresh?: boolean; json?: boolean },
): Promise<number> {
  const engine = new RuminateEngine({
    backend: 'wasm',
    tuningBudgetMs: Number(values['budget-ms'] ?? 60_000),
    ...(values.fresh ? { tuningStore: new MemoryTuningStore() } : {}),
    maxSequences: 4,
  });
  log(`${model}: timing the WebAssembly matmul kernels of every shape (one and 16 activation rows)…`);
  const info = await engine.load(
    { path: model },
    {
      onProgress: (p) => {
        if (p.phase === 'tune') log(`  [${p.done}/${p.total ?? '?'}] shapes timed`);
      },
    },
  );
  await engine.unload();
  const t = info.tuning;
  if (values.json) out(JSON.stringify({ backend: 'wasm', threads: info.threads, tuning: t }));
  else {
    out(
      table(
        ['shapes cached before', 'timed now', 'left on defaults', 'ms'],
        [[String(t?.cached ?? 0), String(t?.timed ?? 0), String(t?.untuned ?? 0), (t?.ms ?? 0).toFixed(0)]],
      ),
    );
  }
  return 0;
}
