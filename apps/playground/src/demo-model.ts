// A scripted demo model, a teaching aid for seeing how the strategies sample, vote and verify in a
// second or two with no download. It is not a language model and not a stand-in for one: without
// WebGPU the real model runs on the CPU backend. It "answers" multiplication questions the way a
// small, unreliable model does, each digit right with probability `skill`, so sampling disagrees
// and voting visibly helps. It runs in the page through the controller's ScriptedEngine (the full
// Engine contract: forks, batched steps, per-sequence random streams, log-probabilities).
import { ScriptedEngine, type ScriptedModel } from '@ruminate/controller';

const DIGITS = '0123456789'.split('');
const VOCAB = ['<eos>', ...DIGITS, ' ', '×', '*', 'x', '=', '?', 'The answer is ', '.', '\n'];
const EOS = 0;
const id = (t: string) => VOCAB.indexOf(t);

function operands(text: string): [number, number] | null {
  const m = /(\d+)\s*[×*x]\s*(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** The demo model; `skill` is each digit's chance of being right (default 0.6). */
export function demoModel(skill = 0.6): ScriptedModel {
  return {
    vocab: VOCAB,
    eos: [EOS],
    name: 'scripted multiplication demo',
    next(tokens, promptLength) {
      const p = new Array<number>(VOCAB.length).fill(0);
      const prompt = tokens
        .slice(0, promptLength)
        .map((t) => VOCAB[t])
        .join('');
      const gen = tokens.slice(promptLength);
      const ops = operands(prompt);
      if (gen.length === 0) {
        p[id('The answer is ')] = 1;
        return p;
      }
      if (!ops) {
        p[EOS] = 1;
        return p;
      }
      const answer = String(ops[0] * ops[1]);
      const k = gen.length - 1; // digits written so far
      if (k < answer.length) {
        const right = id(answer[k] as string);
        // Wrong digits share the rest; a number never starts with 0 (unless it is 0).
        const wrong = DIGITS.filter((d) => d !== answer[k] && !(k === 0 && d === '0' && answer.length > 1));
        for (const d of wrong) p[id(d)] = (1 - skill) / wrong.length;
        p[right] = skill;
        return p;
      }
      if (k === answer.length) {
        p[id('.')] = 1;
        return p;
      }
      p[EOS] = 1;
      return p;
    },
  };
}

/** A demo Engine (steps slowed by `stepDelayMs` so streaming is visible). */
export function demoEngine(opts: { skill?: number; stepDelayMs?: number } = {}): ScriptedEngine {
  const engine = new ScriptedEngine(demoModel(opts.skill), { pageTokens: 16 });
  const delay = opts.stepDelayMs ?? 25;
  if (delay > 0) {
    const step = engine.step.bind(engine);
    engine.step = async (batch) => {
      await new Promise((r) => setTimeout(r, delay));
      return step(batch);
    };
  }
  return engine;
}
