import { type Plan, RuminateError } from '@ruminate/controller';
import {
  type DeviceInfo,
  type RuminateOptions,
  type RunView,
  readDeviceInfo,
  useRuminate,
} from '@ruminate/react';
import { useCallback, useEffect, useState } from 'react';
import { CandidateBoard } from './candidate-board.tsx';
import { demoEngine } from './demo-model.ts';
import { DevicePanel } from './device-panel.tsx';
import { EvalChart, evalSeries } from './eval-chart.tsx';
import { friendlyError } from './friendly-error.ts';
import { LiveEval } from './live-eval.tsx';
import { LoadProgressBars } from './load-progress.tsx';
import { BUNDLED_MODEL_URL, type ModelChoice, ModelPicker } from './model-picker.tsx';
import { PlanView } from './plan-view.tsx';
import { RunPanel, type RunSettings, requestOf } from './run-panel.tsx';

const INITIAL: RunSettings = {
  prompt: '68*24=',
  strategy: 'sc',
  samples: 4,
  budgetKind: 'none',
  budgetValue: 400,
  maxTokens: 16,
};

function optionsFor(choice: ModelChoice): RuminateOptions {
  switch (choice.kind) {
    case 'demo':
      return {
        engine: () => demoEngine(),
        model: 'scripted-demo',
        measure: false,
        answer: { mode: 'last-number' },
      };
    case 'bundled':
    case 'url':
      // No engine: the controller's default, the runtime in a Web Worker of its own. The URL is
      // absolute, since the worker resolves relative URLs against its own script.
      return { model: new URL(choice.url, location.href).href, answer: { mode: 'last-number' } };
    case 'file':
      return { model: choice.file, answer: { mode: 'last-number' } };
  }
}

function statusText(choice: ModelChoice | null, status: string, noGpu: boolean): string {
  if (choice === null) return 'No model loaded yet: choose one and press Load model.';
  if (noGpu || status === 'error') return 'The model did not load.';
  if (status === 'loading') return 'Loading the model…';
  if (status === 'ready') return `Ready${choice.kind === 'demo' ? ' (scripted demo model)' : ''}.`;
  if (status === 'running') return 'Running…';
  return 'Idle.';
}

/** The playground: model, device, plan, run, candidates, eval chart. */
export function App() {
  const [choice, setChoice] = useState<ModelChoice | null>(null);
  const [options, setOptions] = useState<RuminateOptions | undefined>(undefined);
  const [device, setDevice] = useState<DeviceInfo | null>(null);
  const [plan, setPlan] = useState<Plan | null>(null);
  const [run, setRun] = useState<RunView | null>(null);
  // A real model needs WebGPU: without it, say so instead of starting an engine.
  const noGpu = choice !== null && choice.kind !== 'demo' && device !== null && !device.webgpu;
  const r = useRuminate(noGpu ? undefined : options);
  useEffect(() => {
    void readDeviceInfo().then(setDevice);
  }, []);
  const load = useCallback((c: ModelChoice) => {
    setChoice(c);
    setPlan(null);
    setRun(null);
    setOptions(optionsFor(c));
  }, []);
  useEffect(() => {
    // ?model=demo or ?model=<GGUF URL> loads at once (shareable links, tests).
    const q = new URLSearchParams(location.search).get('model');
    if (q === 'demo') load({ kind: 'demo' });
    else if (q === 'bundled') load({ kind: 'bundled', url: BUNDLED_MODEL_URL });
    else if (q) load({ kind: 'url', url: q });
  }, [load]);
  const live = r.status === 'running' ? r.run : (run ?? r.run);
  const failure = noGpu
    ? new RuminateError('webgpu-unavailable', device?.problem ?? 'This browser has no WebGPU.')
    : r.error;
  const err = failure && (failure as { code?: string }).code !== 'aborted' ? friendlyError(failure) : null;
  return (
    <>
      <header>
        <h1>Ruminate playground</h1>
        <p>
          A language model running in this page on WebGPU, spending extra compute at test time: many samples,
          votes and verifiers.
        </p>
      </header>
      <main>
        <div className="grid">
          <ModelPicker busy={r.status === 'loading'} current={choice?.kind} onLoad={load} />
          <DevicePanel device={device} />
        </div>
        <section className="panel" aria-labelledby="status-h">
          <h2 id="status-h">Status</h2>
          <p role="status" data-testid="status">
            {statusText(choice, r.status, noGpu)}
          </p>
          <LoadProgressBars progress={r.progress} loading={r.status === 'loading'} />
          {err && (
            <div role="alert" className="error">
              <strong>{err.title}</strong> {err.advice}
            </div>
          )}
        </section>
        <RunPanel
          ready={r.status === 'ready' || r.status === 'running'}
          running={r.status === 'running'}
          initial={INITIAL}
          onPlan={(s) => {
            r.plan(requestOf(s)).then(setPlan, () => {});
          }}
          onRun={(s) => {
            setRun(null);
            r.generate(requestOf(s)).then(
              (v) => {
                setRun(v);
                if (v.extras?.plan) setPlan(v.extras.plan);
              },
              () => {},
            );
          }}
          onStop={r.abort}
        />
        <PlanView plan={plan} />
        <CandidateBoard run={live} />
        <LiveEval ready={r.status === 'ready'} generate={r.generate} />
        <EvalChart series={evalSeries} />
      </main>
      <footer>
        <p>
          Ruminate · <a href="https://github.com/">source</a>
        </p>
      </footer>
    </>
  );
}
