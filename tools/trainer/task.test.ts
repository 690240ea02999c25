import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  extractAnswer,
  makePrompt,
  parsePrompt,
  placeParts,
  verify,
} from '../../packages/controller/src/tasks/mul-work.ts';

// Real model outputs (sampled at temperature 0.8 from the bundled model) and hand-made edge
// cases, each with task.py's verdict, reason and extracted answer (tools/trainer/make_fixture.py).
interface Case {
  prompt: string;
  text: string;
  ok: boolean;
  reason: string;
  answer: string | null;
}
const cases: Case[] = readFileSync(new URL('./fixtures/verifier-cases.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as Case);

describe('mul task (TypeScript mirror of task.py)', () => {
  it('has a fixture with both verdicts', () => {
    expect(cases.filter((c) => c.ok).length).toBeGreaterThan(20);
    expect(cases.filter((c) => !c.ok).length).toBeGreaterThan(20);
  });

  it('agrees with the Python verifier on every fixture case', () => {
    const mismatches = cases
      .map((c) => ({ c, v: verify(c.prompt, c.text) }))
      .filter(({ c, v }) => v.ok !== c.ok || v.reason !== c.reason);
    expect(mismatches.map(({ c, v }) => `${c.prompt} ${c.text}: ts=${v.reason} py=${c.reason}`)).toEqual([]);
  });

  it('extracts the same answers as Python', () => {
    for (const c of cases) expect(extractAnswer(c.text), c.text).toBe(c.answer);
  });

  it('makes and parses prompts', () => {
    expect(makePrompt({ a: 68, b: 24 })).toBe('68*24=');
    expect(parsePrompt('68*24=')).toEqual({ a: 68, b: 24 });
    expect(parsePrompt('68*24')).toEqual({ a: 68, b: 24 });
    expect(parsePrompt('68x24')).toBeNull();
    expect(placeParts(305)).toEqual([300, 5]);
  });

  it('rejects a single wrong digit anywhere in a correct solution', () => {
    const good = 'B:86*300=25800,86*40=3440,86*7=602,25800+3440=29240,29240+602=29842#29842';
    expect(verify('347*86=', good).ok).toBe(true);
    for (let i = 0; i < good.length; i++) {
      const ch = good[i]!;
      if (!/\d/.test(ch)) continue;
      const bad = good.slice(0, i) + String((Number(ch) + 1) % 10) + good.slice(i + 1);
      expect(verify('347*86=', bad).ok, bad).toBe(false);
    }
  });
});
