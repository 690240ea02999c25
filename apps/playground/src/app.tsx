import type { Plan } from '@ruminate/controller';
import {
  type DeviceInfo,
  type Engine,
  type RuminateOptions,
  type RunView,
  readDeviceInfo,
  useRuminate,
} from '@ruminate/react';
import { createWorkerEngine } from '@ruminate/runtime/worker';
import { useCallback, useEffect, useRef, useState } from 'react';
import { describeBackend, type LoadedOn } from './backend.ts';
import { CandidateBoard } from './candidate-board.tsx';
import { ChainView } from './chain-view.tsx';
import { demoEngine } from './demo-model.ts';
import { DevicePanel } from './device-panel.tsx';
import { EvalChart, evalSeries } from './eval-chart.tsx';
import { friendlyError } from './friendly-error.ts';
import { LiveEval } from './live-eval.tsx';
import { LoadProgressBars } from './load-progress.tsx';
import {
  BACKENDS,
  type BackendChoice,
  BUNDLED_MODEL_URL,
  BUNDLED_ONNX_URL,
  ENGINES,
  type EngineChoice,
  type ModelChoice,
  ModelPicker,
} from './model-picker.tsx';
import { INITIAL_OUTPUT, isConstraintError } from './output-constraint.ts';
import { PlanView } from './plan-view.tsx';
import { RunPanel, type RunSettings, requestOf } from './run-panel.tsx';

const INITIAL: RunSettings = {
  prompt: '68*24=',
  strategy: 'sc',
  samples: 4,
  budgetKind: 'none',
  budgetValue: 400,
  maxTokens: 16,
  output: INITIAL_OUTPUT,
};

/**
 * The options for one load. The engine is made by the caller for each load (and handed over by a
 * factory: a worker engine is a proxy that must not be called as one), so the page can ask that
 * engine what it runs on.
 */
function optionsFor(choice: ModelChoice, backend: BackendChoice, made: Engine): RuminateOptions {
  const engine = () => made;
  switch (choice.kind) {
    case 'demo':
      return { engine, model: 'scripted-demo', measure: false, answer: { mode: 'last-number' } };
    case 'bundled':
    case 'url':
      // Absolute, since the worker resolves relative URLs against its own script.
      return {
        engine,
        model: new URL(choice.url, location.href).href,
        load: { backend },
        answer: { mode: 'last-number' },
      };
    case 'file':
      return { engine, model: choice.file, load: { backend }, answer: { mode: 'last-number' } };
  }
}

function statusText(
  choice: ModelChoice | null,
  status: string,
  on: LoadedOn | null,
  engine: EngineChoice,
): string {
  if (choice === null) return 'No model loaded yet: choose one and press Load model.';
  if (status === 'error') return 'The model did not load.';
  if (status === 'loading') return 'Loading the model…';
  if (status === 'ready') {
    if (choice.kind === 'demo') return 'Ready (scripted demo model).';
    const by = engine === 'transformers' ? ' (transformers.js)' : '';
    return on ? `Ready on ${describeBackend(on)}${by}.` : `Ready${by}.`;
  }
  if (status === 'running') return 'Running…';
  return 'Idle.';
}

function engineParam(): EngineChoice {
  const e = new URLSearchParams(location.search).get('engine');
  return ENGINES.some(([k]) => k === e) ? (e as EngineChoice) : 'ruminate';
}

/** A worker for the chosen engine: Ruminate's own entry, or the transformers.js one (its own chunk, so the page never loads transformers.js unless asked). */
function startEngine(engine: EngineChoice): Engine {
  if (engine === 'ruminate') return createWorkerEngine({ shared: false, closeOnUnload: true }).engine;
  const worker = new Worker(new URL('./transformers-worker.ts', import.meta.url), { type: 'module' });
  return createWorkerEngine({ worker, closeOnUnload: true }).engine;
}

function backendParam(): BackendChoice {
  const b = new URLSearchParams(location.search).get('backend');
  return BACKENDS.some(([k]) => k === b) ? (b as BackendChoice) : 'auto';
}

/** The playground: model, device, plan, run, candidates, eval chart. */
export function App() {
  const [choice, setChoice] = useState<ModelChoice | null>(null);
  const [options, setOptions] = useState<RuminateOptions | undefined>(undefined);
  // A load clears `options` for one render, then sets the new ones: useRuminate then makes a new
  // engine even when only the backend changed (it keys its engine on the model and options' presence).
  const [pending, setPending] = useState<RuminateOptions | null>(null);
  const [device, setDevice] = useState<DeviceInfo | null>(null);
  const [plan, setPlan] = useState<Plan | null>(null);
  const [run, setRun] = useState<RunView | null>(null);
  const [backend, setBackend] = useState<BackendChoice>(backendParam);
  const [engineChoice, setEngineChoice] = useState<EngineChoice>(engineParam);
  const engineChoiceRef = useRef(engineChoice);
  engineChoiceRef.current = engineChoice;
  // The engine of the model now loaded (the switch may have moved since).
  const [loadedEngine, setLoadedEngine] = useState<EngineChoice>(engineChoice);
  // A ref, not state: a worker engine is a proxy that React would call as an updater function.
  const engineRef = useRef<Engine | null>(null);
  const [loadedOn, setLoadedOn] = useState<LoadedOn | null>(null);
  const r = useRuminate(options);
  useEffect(() => {
    void readDeviceInfo().then(setDevice);
  }, []);
  const backendRef = useRef(backend);
  backendRef.current = backend;
  const load = useCallback((c: ModelChoice) => {
    // The scripted demo is a teaching aid in this page; every real model runs in a worker.
    const e = c.kind === 'demo' ? demoEngine() : startEngine(engineChoiceRef.current);
    setLoadedEngine(engineChoiceRef.current);
    setChoice(c);
    setPlan(null);
    setRun(null);
    setLoadedOn(null);
    engineRef.current = e;
    setOptions(undefined);
    setPending(optionsFor(c, backendRef.current, e));
  }, []);
  useEffect(() => {
    if (pending && options === undefined) {
      setOptions(pending);
      setPending(null);
    }
  }, [pending, options]);
  // Once loaded, ask the engine what it runs on (the ModelInfo of the load: backend and threads).
  useEffect(() => {
    const engine = engineRef.current;
    if (r.status !== 'ready' || !engine || choice?.kind === 'demo') return;
    let live = true;
    engine.info().then(
      (info) => {
        if (live && info) setLoadedOn({ backend: info.backend, threads: info.threads });
      },
      () => {},
    );
    return () => {
      live = false;
    };
  }, [r.status, choice]);
  useEffect(() => {
    // ?model=demo or ?model=<GGUF URL> loads at once (shareable links, tests).
    const q = new URLSearchParams(location.search).get('model');
    if (q === 'demo') load({ kind: 'demo' });
    else if (q === 'bundled')
      load({
        kind: 'bundled',
        url: engineChoiceRef.current === 'transformers' ? BUNDLED_ONNX_URL : BUNDLED_MODEL_URL,
      });
    else if (q) load({ kind: 'url', url: q });
  }, [load]);
  const live = r.status === 'running' ? r.run : (run ?? r.run);
  const failure = r.error;
  // A refused schema or grammar is shown beside the schema box, not here.
  const constraintError = failure && isConstraintError(failure) ? failure : null;
  const err =
    failure && !constraintError && (failure as { code?: string }).code !== 'aborted'
      ? friendlyError(failure)
      : null;
  return (
    <>
      <header>
        <h1>Ruminate playground</h1>
        <p>
          A language model running in this page — on WebGPU, or on the CPU with WebAssembly where there is no
          GPU — spending extra compute at test time: many samples, votes and verifiers.
        </p>
      </header>
      <main>
        <div className="grid">
          <ModelPicker
            busy={r.status === 'loading'}
            current={choice?.kind}
            backend={backend}
            onBackend={setBackend}
            engine={engineChoice}
            onEngine={setEngineChoice}
            onLoad={load}
          />
          <DevicePanel device={device} loadedOn={choice?.kind === 'demo' ? null : loadedOn} />
        </div>
        <section className="panel" aria-labelledby="status-h">
          <h2 id="status-h">Status</h2>
          <p role="status" data-testid="status">
            {statusText(choice, r.status, loadedOn, loadedEngine)}
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
          constraintError={constraintError}
        />
        <PlanView plan={plan} />
        <ChainView run={live} />
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
