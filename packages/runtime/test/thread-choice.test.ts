// ThreadChoice: per pass size, both ways are timed, the faster serves, the other is retried now
// and then; a single-threaded pool always runs inline.
import { describe, expect, it } from 'vitest';
import { ThreadChoice } from '../src/model/wasm/thread-choice.ts';

/** Runs `n` passes of `rows` rows where threads take `threadsMs` and inline `inlineMs`; returns the inline picks. */
function drive(c: ThreadChoice, rows: number, n: number, threadsMs: number, inlineMs: number): boolean[] {
  const picks: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const inline = c.inline(rows);
    picks.push(inline);
    c.record(rows, inline, inline ? inlineMs : threadsMs);
  }
  return picks;
}

describe('ThreadChoice', () => {
  it('times both ways, then keeps the faster per pass size, retrying the other once every 32 passes', () => {
    const c = new ThreadChoice(true);
    const decode = drive(c, 1, 200, 5, 1); // one row: inline 5× faster
    const warm = decode.slice(0, 8);
    expect(warm.filter((x) => x)).toHaveLength(4); // both ways timed during the warm-up
    const steady = decode.slice(8);
    const threadPicks = steady.filter((x) => !x).length;
    expect(threadPicks).toBeGreaterThan(0); // re-examined now and then
    expect(threadPicks).toBeLessThanOrEqual(Math.ceil(steady.length / 32) + 1);
    // A 100-row pass is another bucket, where threads win.
    const prefill = drive(c, 100, 100, 20, 80).slice(8);
    expect(prefill.filter((x) => x).length).toBeLessThanOrEqual(Math.ceil(prefill.length / 32) + 1);
    const summary = c.summary();
    expect(summary.find((s) => s.maxRows === 1)?.inline).toBe(true);
    expect(summary.find((s) => s.maxRows === 128)?.inline).toBe(false);
  });

  it('follows the machine when the faster way becomes the slower one', () => {
    const c = new ThreadChoice(true);
    drive(c, 1, 100, 1, 5); // threads win
    const after = drive(c, 1, 300, 10, 5).slice(-100); // then the machine gets busy
    expect(after.filter((x) => x).length).toBeGreaterThan(90);
  });

  it('runs inline and times nothing when the pool has one thread', () => {
    const c = new ThreadChoice(false);
    expect(drive(c, 1, 20, 1, 100).every((x) => x)).toBe(true);
    expect(c.summary()).toEqual([]);
  });
});
