// Server rendering: the hooks render their initial state and never start loading (effects do not
// run on a server); importing the package touches no browser global.
import { ScriptedEngine } from '@ruminate/controller';
import { createElement as h } from 'react';
import { renderToString } from 'react-dom/server';
import { expect, it } from 'vitest';
import { RuminateProvider, useCompletion, useRuminate } from '../src/index.ts';

let loads = 0;
const engine = new ScriptedEngine({ vocab: ['<eos>', 'a'], eos: [0], next: () => [1, 0] });
engine.load = async () => {
  loads++;
  throw new Error('must not load during server rendering');
};

function Status() {
  const r = useRuminate();
  const c = useCompletion();
  const parts = [
    r.status,
    String(r.device),
    r.progress ? 'p' : 'none',
    c.text || 'empty',
    String(c.isLoading),
  ];
  return h('p', null, parts.join('|'));
}

function Own() {
  const r = useRuminate({ engine, model: 'm' });
  return h('span', null, r.status);
}

it('renders on a server with no window or navigator, without loading', () => {
  expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined');
  const html = renderToString(h(RuminateProvider, { options: { engine, model: 'm' } }, h(Status), h(Own)));
  expect(html).toBe('<p>idle|null|none|empty|false</p><span>idle</span>');
  expect(loads).toBe(0);
});
