// `ruminate generate --strategy … --json` end to end on the bundled model (models/mul-q8_0.gguf,
// WebGPU on SwiftShader) in a child process, as a user runs it: stdout is exactly one JSON object
// with the answer text, the winner and a trace of candidates (text, tokens, score). Kept small
// (n ≤ 3, 40 tokens: one worked solution) because SwiftShader decodes this model at a few tok/s.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

interface Candidate {
  id: number;
  text: string;
  tokens: number[];
  score: number | null;
  stepScores: number[];
  passed: boolean | null;
  answer: string | null;
}

function generate(args: string[]): Record<string, unknown> {
  const stdout = execFileSync(
    'pnpm',
    [
      'run',
      '--reporter=silent',
      'ruminate',
      'generate',
      '--model',
      'models/mul-q8_0.gguf',
      '--prompt',
      '68*24=',
      '--max-tokens',
      '40',
      '--seed',
      '7',
      '--json',
      ...args,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines = stdout.trim().split('\n');
  expect(lines, 'stdout carries one JSON line only').toHaveLength(1);
  return JSON.parse(lines[0] as string) as Record<string, unknown>;
}

/** Checks the common shape and returns the trace. */
function checkShape(r: Record<string, unknown>, minCandidates: number): Candidate[] {
  expect(Object.keys(r)).toEqual(expect.arrayContaining(['text', 'winner', 'trace', 'plan', 'usage']));
  const trace = r.trace as Candidate[];
  expect(Array.isArray(trace)).toBe(true);
  expect(trace.length).toBeGreaterThanOrEqual(minCandidates);
  for (const c of trace) {
    expect(typeof c.text).toBe('string');
    expect(c.tokens.every((t) => Number.isInteger(t) && t >= 0)).toBe(true);
    expect(c.tokens.length).toBeGreaterThan(0);
    expect(c.tokens.length).toBeLessThanOrEqual(40);
    expect(c.score === null || Number.isFinite(c.score)).toBe(true);
  }
  const winner = trace.find((c) => c.id === r.winner);
  expect(winner, 'winner names a candidate of the trace').toBeDefined();
  expect(r.text).toBe(winner?.text);
  // The model writes a worked solution (method A or B) after the prompt.
  expect(r.text).toMatch(/^[AB]:\d/);
  return trace;
}

describe('ruminate generate --strategy --json (bundled mul model)', () => {
  it('self-consistency: n candidates, the winner holds the most-voted answer', { timeout: 400_000 }, () => {
    const r = generate(['--strategy', 'self-consistency', '--n', '3']);
    const trace = checkShape(r, 3);
    expect(trace).toHaveLength(3);
    const votes = new Map<string, number>();
    for (const c of trace) if (c.answer !== null) votes.set(c.answer, (votes.get(c.answer) ?? 0) + 1);
    const top = Math.max(...votes.values());
    expect(votes.get(r.answer as string)).toBe(top);
  });

  it('best-of-n with --task mul: every candidate verified by the work-checking verifier', {
    timeout: 400_000,
  }, () => {
    const r = generate(['--strategy', 'best-of-n', '--n', '2', '--task', 'mul']);
    const trace = checkShape(r, 2);
    expect(trace).toHaveLength(2);
    for (const c of trace) {
      expect(typeof c.passed).toBe('boolean');
      expect(c.score).toBe(c.passed ? 1 : 0);
    }
    const best = Math.max(...trace.map((c) => c.score ?? 0));
    expect(trace.find((c) => c.id === r.winner)?.score).toBe(best);
  });

  it('particle-filter with --task mul: steps scored by the task’s step scorer', { timeout: 400_000 }, () => {
    const r = generate(['--strategy', 'particle-filter', '--n', '2', '--task', 'mul']);
    const trace = checkShape(r, 2);
    const stepScores = trace.flatMap((c) => c.stepScores);
    expect(stepScores.length).toBeGreaterThan(0);
    expect(stepScores.every((s) => Number.isFinite(s))).toBe(true);
  });
});
