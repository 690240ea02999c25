// @ts-nocheck -- the workspace typecheck cannot see the packed packages; consumer.spec.ts removes this line and type-checks the app against them.
// A consumer of the published packages: the ESM script bundle (element + API) and the React hooks,
// both over a tiny scripted engine (no GPU needed), written as an outside developer would.
import { useRuminate } from '@ruminate/react';
import {
  defineChatElement,
  ScriptedEngine,
  type ScriptedModel,
  setDefaultEngine,
  VERSION,
} from '@ruminate/script';
import { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';

const vocab = ['<eos>', 'Q', 'The answer is ', '4', '5'];
const model: ScriptedModel = {
  vocab,
  eos: [0],
  next: (tokens, promptLength) => {
    const n = tokens.length - promptLength;
    return n === 0 ? [0, 0, 1, 0, 0] : n === 1 ? [0, 0, 0, 0.8, 0.2] : [1, 0, 0, 0, 0];
  },
};

setDefaultEngine(() => new ScriptedEngine(model));
defineChatElement();

function App() {
  const r = useRuminate({ engine: () => new ScriptedEngine(model), model: 'scripted', measure: false });
  const [answer, setAnswer] = useState('');
  useEffect(() => {
    if (r.status !== 'ready' || answer) return;
    r.generate({ messages: [{ role: 'user', content: 'Q' }], strategy: 'sc@5', max_tokens: 4 }).then(
      (run) => setAnswer(`${run.text} (${run.candidates.length} candidates)`),
      (e: Error) => setAnswer(`error: ${e.message}`),
    );
  }, [r.status, r.generate, answer]);
  return (
    <p id="react-answer" data-version={VERSION}>
      {r.status}: {answer}
    </p>
  );
}

const root = document.getElementById('root');
if (root) createRoot(root).render(<App />);
