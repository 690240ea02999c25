// Scripted models with known next-token distributions, for the controller's tests.

import { ScriptedEngine, type ScriptedEngineOptions, type ScriptedModel } from '../src/index.ts';

/** A probability vector over `vocab` with the given mass on named tokens. */
export function dist(vocab: readonly (string | Uint8Array)[], mass: Record<string, number>): number[] {
  const p = new Array<number>(vocab.length).fill(0);
  for (const [tok, m] of Object.entries(mass)) {
    const id = vocab.indexOf(tok);
    if (id < 0) throw new Error(`no token ${JSON.stringify(tok)}`);
    p[id] = m;
  }
  return p;
}

const FILLER = 'abcdefghijklmnopqrstuvwxyz'.split('').map((c) => ` ${c}`);

/**
 * "Q:" → "The answer is " → one answer drawn from `answers` → `tail` tokens → EOS.
 * After an answer listed in `confident`, the tail tokens are near-certain (" ok" at 0.97);
 * after any other answer they are uniform over 26 filler tokens (low confidence).
 */
export function answerModel(
  answers: Record<string, number>,
  opts: { tail?: number; confident?: string[] } = {},
): ScriptedModel {
  const tail = opts.tail ?? 0;
  const names = Object.keys(answers);
  const vocab = ['<eos>', 'Q:', 'The answer is ', ...names, ' ok', ...FILLER];
  return {
    vocab,
    eos: [0],
    name: 'answer-model',
    next(tokens, promptLength) {
      const gen = tokens.slice(promptLength);
      if (gen.length === 0) return dist(vocab, { 'The answer is ': 1 });
      if (gen.length === 1) return dist(vocab, answers);
      if (gen.length >= 2 + tail) return dist(vocab, { '<eos>': 1 });
      const answer = vocab[gen[1] as number] as string;
      if (opts.confident?.includes(answer)) {
        const m: Record<string, number> = { ' ok': 0.97 };
        for (const f of FILLER) m[f] = 0.03 / FILLER.length;
        return dist(vocab, m);
      }
      return dist(vocab, Object.fromEntries(FILLER.map((f) => [f, 1])));
    },
  };
}

/**
 * Reasoning in steps: each step is one of "G" (good, p = pGood) or "B" followed by "\n\n";
 * after `steps` steps, EOS.
 */
export function stepModel(steps = 3, pGood = 0.3): ScriptedModel {
  const vocab = ['<eos>', 'Q:', 'G', 'B', '\n\n'];
  return {
    vocab,
    eos: [0],
    name: 'step-model',
    next(tokens, promptLength) {
      const gen = tokens.slice(promptLength);
      const last = gen[gen.length - 1];
      if (last === 2 || last === 3) return dist(vocab, { '\n\n': 1 });
      const done = gen.filter((t) => t === 4).length;
      if (done >= steps) return dist(vocab, { '<eos>': 1 });
      return dist(vocab, { G: pGood, B: 1 - pGood });
    },
  };
}

/** A fixed token sequence, then EOS (vocab entries may be partial UTF-8 bytes). */
export function fixedModel(vocab: (string | Uint8Array)[], sequence: number[]): ScriptedModel {
  return {
    vocab: ['<eos>', 'Q:', ...vocab],
    eos: [0],
    name: 'fixed-model',
    next(tokens, promptLength) {
      const k = tokens.length - promptLength;
      const p = new Array<number>(vocab.length + 2).fill(0.001);
      p[k < sequence.length ? (sequence[k] as number) + 2 : 0] = 1;
      return p;
    },
  };
}

/** A scripted engine over `model` (prompt "Q:"). */
export function engineFor(model: ScriptedModel, opts?: ScriptedEngineOptions): ScriptedEngine {
  return new ScriptedEngine(model, opts);
}
