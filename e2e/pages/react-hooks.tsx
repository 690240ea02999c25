// Component checks of @ruminate/react in a real browser, run in order; results go to
// window.__reactChecks. Built twice by the e2e spec: against React 19 (the workspace's) and
// against React 18 (aliased to the react18/react-dom18 packages).
import { type ReactNode, useEffect, version } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { renderToString } from 'react-dom/server';
import { demoEngine } from '../../apps/playground/src/demo-model.ts';
import {
  RuminateProvider,
  type RunView,
  useCompletion,
  useRuminate,
} from '../../packages/react/src/index.ts';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}
declare global {
  interface Window {
    __reactChecks?: { react: string; checks: Check[] };
  }
}

const until = async (cond: () => boolean, what: string, ms = 20_000) => {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

function mount(node: ReactNode): { root: Root; host: HTMLElement } {
  const host = document.createElement('div');
  document.getElementById('root')?.append(host);
  const root = createRoot(host);
  root.render(node);
  return { root, host };
}

const req = (content: string, strategy: string, max = 12) => ({
  messages: [{ role: 'user' as const, content }],
  strategy,
  max_tokens: max,
});

async function ssr(): Promise<string> {
  const engine = demoEngine({ skill: 1 });
  let loads = 0;
  engine.load = async () => {
    loads++;
    throw new Error('no load during server rendering');
  };
  function S() {
    const r = useRuminate();
    const c = useCompletion();
    return <p>{[r.status, String(r.device), c.text || 'empty'].join('|')}</p>;
  }
  const html = renderToString(
    <RuminateProvider options={{ engine, model: 'm' }}>
      <S />
    </RuminateProvider>,
  );
  if (html !== '<p>idle|null|empty</p>' || loads !== 0) throw new Error(`got ${html}, ${loads} loads`);
  return html;
}

async function providerShares(): Promise<string> {
  const engine = demoEngine({ skill: 1, stepDelayMs: 5 });
  let loads = 0;
  const load = engine.load.bind(engine);
  engine.load = (s) => {
    loads++;
    return load(s);
  };
  const seen: Record<string, string> = {};
  function A(props: { id: string }) {
    const r = useRuminate();
    seen[props.id] = r.status;
    return <span>{r.status}</span>;
  }
  const { root } = mount(
    <RuminateProvider options={{ engine, model: 'demo', measure: false }}>
      <A id="a" />
      <A id="b" />
    </RuminateProvider>,
  );
  await until(() => seen.a === 'ready' && seen.b === 'ready', 'both ready');
  root.unmount();
  if (loads !== 1) throw new Error(`${loads} loads for one provider`);
  return 'two components, one engine, one load';
}

async function generateStreams(): Promise<string> {
  const engine = demoEngine({ skill: 0.6, stepDelayMs: 5 });
  const snaps: RunView[] = [];
  let api: ReturnType<typeof useRuminate> | undefined;
  function G() {
    const r = useRuminate({ engine, model: 'demo', measure: false, answer: { mode: 'last-number' } });
    api = r;
    useEffect(() => {
      if (r.run) snaps.push(r.run);
    }, [r.run]);
    return <span>{r.status}</span>;
  }
  const { root } = mount(<G />);
  await until(() => api?.status === 'ready', 'ready');
  const plan = await api?.plan(req('12*12=', 'sc@5'));
  if (plan?.n !== 5) throw new Error(`plan n ${plan?.n}`);
  const run = await api?.generate(req('12*12=', 'sc@5'));
  await until(() => api?.result !== null, 'result in state');
  root.unmount();
  if (!run?.done || run.candidates.length !== 5) throw new Error(`run ${JSON.stringify(run)}`);
  const winner = run.candidates.find((c) => c.fate === 'winner');
  const most = Math.max(...run.candidates.map((c) => c.votes ?? 0));
  if (
    !winner ||
    winner.votes !== most ||
    run.text !== winner.text ||
    !winner.text.startsWith('The answer is ')
  ) {
    throw new Error(`winner ${JSON.stringify(winner)} text ${run.text}`);
  }
  const partial = snaps.filter((s) => !s.done && s.candidates.length > 0);
  if (partial.length < 3) throw new Error(`only ${partial.length} live renders before the end`);
  if (engine.liveSequences !== 0) throw new Error(`${engine.liveSequences} sequences leaked`);
  return `${partial.length} live renders, winner ${winner.answer} with ${winner.votes} votes`;
}

async function completionStreams(): Promise<string> {
  const engine = demoEngine({ skill: 1, stepDelayMs: 5 });
  const texts: string[] = [];
  let c: ReturnType<typeof useCompletion> | undefined;
  function C() {
    c = useCompletion();
    useEffect(() => {
      if (c?.text) texts.push(c.text);
    });
    return <output>{c.text}</output>;
  }
  const { root } = mount(
    <RuminateProvider options={{ engine, model: 'demo', measure: false }}>
      <C />
    </RuminateProvider>,
  );
  await until(() => c?.status === 'ready', 'ready');
  const run = await c?.complete('7*8=', { strategy: 'greedy', max_tokens: 8 });
  await until(() => c?.isLoading === false, 'not loading');
  const final = c?.text;
  root.unmount();
  if (run?.text !== 'The answer is 56.' || final !== 'The answer is 56.')
    throw new Error(`got ${run?.text} / ${final}`);
  const distinct = new Set(texts);
  if (distinct.size < 3) throw new Error(`text did not stream: ${[...distinct].join(' | ')}`);
  return `${distinct.size} distinct partial texts`;
}

async function unmountAborts(): Promise<string> {
  const engine = demoEngine({ skill: 0.6, stepDelayMs: 40 });
  let outcome: string | undefined;
  let api: ReturnType<typeof useRuminate> | undefined;
  function Child() {
    const r = useRuminate();
    api = r;
    return <span>{r.run?.candidates.length ?? 0}</span>;
  }
  function Parent(props: { show: boolean }) {
    return (
      <RuminateProvider options={{ engine, model: 'demo', measure: false }}>
        {props.show && <Child />}
      </RuminateProvider>
    );
  }
  const { root } = mount(<Parent show />);
  await until(() => api?.status === 'ready', 'ready');
  api?.generate(req('68*24=', 'sc@4', 16)).then(
    () => {
      outcome = 'finished';
    },
    (e: { code?: string }) => {
      outcome = e.code ?? String(e);
    },
  );
  await until(() => (api?.run?.candidates.length ?? 0) > 0, 'first delta');
  root.render(<Parent show={false} />); // the provider stays; only the component that started the run goes
  await until(() => outcome !== undefined, 'the run to end');
  await until(() => engine.liveSequences === 0, 'sequences freed');
  root.unmount();
  if (outcome !== 'aborted') throw new Error(`run ${outcome} instead of aborted`);
  return 'run aborted, every sequence freed';
}

async function main() {
  const checks: Check[] = [];
  for (const [name, fn] of [
    ['renderToString', ssr],
    ['provider shares one engine', providerShares],
    ['useRuminate generate streams into state', generateStreams],
    ['useCompletion streams text', completionStreams],
    ['unmount aborts work in flight', unmountAborts],
  ] as const) {
    try {
      checks.push({ name, ok: true, detail: await fn() });
    } catch (e) {
      checks.push({ name, ok: false, detail: e instanceof Error ? e.message : String(e) });
    }
  }
  window.__reactChecks = { react: version, checks };
  const out = document.getElementById('out');
  if (out)
    out.textContent = `React ${version}\n${checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`).join('\n')}`;
}
void main();
