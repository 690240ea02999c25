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
  TUNED_ROW_COUNTS,
  tuneModelKernels,
} from '@ruminate/runtime';
import type { Command } from '../command.ts';
import { log, out, table } from '../log.ts';

export const tuneCommand: Command = {
  name: 'tune',
  summary: 'Tune the kernels for a model’s shapes on this device and cache the winners',
  usage: [
    'ruminate tune --model PATH [--budget-ms N] [--rows 1,4,16,128] [--full] [--fresh] [--json]',
    '',
    '  --budget-ms N  total tuning time (default 30000; 120000 on SwiftShader)',
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
      },
    });
    if (!values.model) {
      log(`ruminate tune: --model PATH is required\n\n${tuneCommand.usage}`);
      return 2;
    }
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
