import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freshSeed } from '@ruminate/gpu/testing';
import { describe, expect, it } from 'vitest';
import {
  ASC_DEFAULT_RULE,
  type AscStoppingRule,
  ascCheckpoints,
  ascStopPoint,
  ascStoppingRule,
  runStrategy,
  voteDecided,
} from '../src/index.ts';
import { answerModel, engineFor } from './scripted-models.ts';

/** `text` as one answer per character; `.` is a sample with no extractable answer. */
const votes = (text: string) => [...text].map((c) => (c === '.' ? null : c));
const rule = (over: Partial<AscStoppingRule>): AscStoppingRule => ({ ...ASC_DEFAULT_RULE, ...over });

describe('adaptive SC stopping rule', () => {
  it('is the rule chosen on the dev set (docs/eval/asc-rule-dev.json), not a hand-edited one', () => {
    const dev = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../../docs/eval/asc-rule-dev.json'), 'utf8'),
    ) as {
      set: string;
      chosen: { rule: string; level: number; batch: number; growth: string; step?: number };
    };
    expect(dev.set).toBe('dev');
    expect(ASC_DEFAULT_RULE).toEqual(pickRule(dev.chosen));
    expect(ascStoppingRule({})).toEqual(ASC_DEFAULT_RULE);
  });

  it('batch schedules: step, double, total, cut at the sample cap', () => {
    expect(ascCheckpoints({ batch: 3, growth: 'step', step: 1 }, 16)).toEqual([
      3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    ]);
    expect(ascCheckpoints({ batch: 3, growth: 'step', step: 2 }, 10)).toEqual([3, 5, 7, 9, 10]);
    expect(ascCheckpoints({ batch: 2, growth: 'double', step: 1 }, 16)).toEqual([2, 6, 14, 16]);
    expect(ascCheckpoints({ batch: 2, growth: 'total', step: 1 }, 16)).toEqual([2, 4, 8, 16]);
    expect(ascCheckpoints({ batch: 20, growth: 'total', step: 1 }, 16)).toEqual([16]);
  });

  it('default (Beta at 0.7, checked after 3, 4, 5, … samples) stops exactly where it should', () => {
    // P(leader > 1/2 | v1, v2) = 1 − I½(v1+1, v2+1) = P(Bin(v1+v2+1, ½) ≤ v1):
    // (3,0) 15/16, (2,1) 11/16 = 0.6875, (3,1) 26/32, (3,2) 42/64, (4,2) 99/128, (1,0) 3/4.
    const stop = (s: string) => ascStopPoint(votes(s), 16, ASC_DEFAULT_RULE);
    expect(stop('aaa')).toBe(3); // (3,0): 0.9375
    expect(stop('abaa')).toBe(4); // (2,1) 0.6875 < 0.7, then (3,1) 0.8125
    expect(stop('abcabbb')).toBe(7); // (1,1) (2,1) (2,2) (3,2)=0.656 … then (4,2)=0.773
    expect(stop('aa.')).toBe(3); // no answer is no vote: (2,0) = 0.875
    expect(stop('...a')).toBe(4); // one answer among four samples already gives (1,0) = 0.75
    expect(stop('ab'.repeat(8))).toBe(16); // (2,1), (2,2), (3,2), … never reach 0.7: the cap
    expect(stop('aabb'.repeat(4))).toBe(6); // (2,1), (2,2), (3,2), then (4,2) at 6
    expect(stop('................')).toBe(16);
  });

  it('share rule: the leader’s share of all samples, unanswered ones included, at ≥ level', () => {
    const share75 = rule({ rule: 'share', level: 0.75 });
    expect(ascStopPoint(votes('abcaaaaa'), 16, share75)).toBe(8); // 1/3, 2/4, 3/5, 4/6, 5/7, then 6/8
    expect(ascStopPoint(votes('abaa'), 16, share75)).toBe(4); // exactly 0.75 counts
    expect(ascStopPoint(votes('aa.a'), 16, share75)).toBe(4);
    expect(ascStopPoint(votes(`aa..a${'.'.repeat(11)}`), 16, share75)).toBe(16); // 2/3, 2/4, 3/5, …
    expect(voteDecided(votes('aa.'), 'share', 0.75)).toBe(false); // 2/3
    expect(voteDecided(votes('aa.'), 'beta', 0.75)).toBe(true); // (2,0) = 0.875
    expect(ascStoppingRule({ rule: 'share' }).level).toBe(0.75);
    expect(ascStoppingRule({ rule: 'beta' }).level).toBe(ASC_DEFAULT_RULE.level);
  });

  it('rejects unknown growth and non-integer steps, naming the field', () => {
    expect(() => ascStoppingRule({ growth: 'triple' })).toThrow(/strategy\.growth/);
    expect(() => ascStoppingRule({ step: 0 })).toThrow(/strategy\.step/);
    expect(() => ascStoppingRule({ batch: 1.5 })).toThrow(/strategy\.batch/);
    expect(() => ascStoppingRule({ level: 0 })).toThrow(/strategy\.level/);
  });

  it('the strategy draws exactly the samples the rule allows, batch by batch (fresh seeds)', async () => {
    const engine = engineFor(answerModel({ '42': 0.55, '17': 0.3, '5': 0.15 }));
    const rules = [ASC_DEFAULT_RULE, rule({ rule: 'share', level: 0.75, batch: 2, growth: 'total' })];
    const seeds = [freshSeed(), freshSeed(), freshSeed(), freshSeed()];
    for (const [i, seed] of seeds.entries()) {
      const stopping = rules[i % 2] as AscStoppingRule;
      const r = await runStrategy(engine, {
        prompt: 'Q:',
        strategy: { name: 'asc', samples: 16, ...stopping },
        seed,
      });
      const answers = r.trace.map((c) => c.answer ?? null);
      const expected = ascStopPoint(answers, 16, stopping);
      expect(answers.length, `seed ${seed}`).toBe(expected);
      expect(r.stats.samplesDrawn, `seed ${seed}`).toBe(expected);
      expect(r.stats.samplesSaved, `seed ${seed}`).toBe(16 - expected);
      const boundaries = ascCheckpoints(stopping, 16);
      expect(r.stats.batches, `seed ${seed}`).toBe(boundaries.indexOf(expected) + 1);
    }
  });
});

/** The strategy parameters of a dev-set row (drops the simulation's extra fields). */
function pickRule(row: { rule: string; level: number; batch: number; growth: string; step?: number }) {
  return { rule: row.rule, level: row.level, batch: row.batch, growth: row.growth, step: row.step ?? 1 };
}
