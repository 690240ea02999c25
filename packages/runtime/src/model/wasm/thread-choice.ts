// Whether a pass runs on the pool's threads or on the engine's thread alone. Each op of a pass
// ends at a barrier; when a pass is small (a decode step of a small model) or the machine is busy
// (a descheduled thread stalls every barrier), one thread is faster than all of them. Which is
// faster depends on the device, the model and the moment, so it is measured, not assumed: per
// pass size, both ways are timed at first, the faster serves, and the slower is tried again now
// and then in case the machine changed.

/** Passes each way timed before choosing (after one untimed warm-up each). */
const WARM = 3;
/** A choice is re-examined (the other way tried once) after this many passes. */
const EXPLORE_EVERY = 32;
/** Weight of a new time in the moving average. */
const ALPHA = 0.25;

interface Way {
  runs: number;
  /** Moving average of ms per row. */
  msPerRow: number;
}

/** The running choice for one bucket of pass sizes. */
interface Bucket {
  ways: [threads: Way, inline: Way];
  picks: number;
}

/** Times passes both ways per pass size and says which way the next pass should take. */
export class ThreadChoice {
  private readonly buckets = new Map<number, Bucket>();

  constructor(
    /** False when the pool has one thread: every pass then runs inline and nothing is timed. */
    private readonly threaded: boolean,
  ) {}

  /** True when a pass of `rows` rows should run on the engine's thread alone. */
  inline(rows: number): boolean {
    if (!this.threaded) return true;
    const b = this.bucket(rows);
    b.picks++;
    const [threads, inline] = b.ways;
    // Warm-up: alternate until both ways have WARM timed runs (plus their untimed first).
    if (threads.runs <= WARM || inline.runs <= WARM) return inline.runs < threads.runs;
    const best = inline.msPerRow < threads.msPerRow;
    return b.picks % EXPLORE_EVERY === 0 ? !best : best;
  }

  /** Records how long a pass of `rows` rows took, run the way `inline` says. */
  record(rows: number, inline: boolean, ms: number): void {
    if (!this.threaded) return;
    const way = this.bucket(rows).ways[inline ? 1 : 0];
    way.runs++;
    if (way.runs === 1) return; // the first run of a way pays for compiles and cold caches
    const perRow = ms / rows;
    way.msPerRow = way.runs === 2 ? perRow : (1 - ALPHA) * way.msPerRow + ALPHA * perRow;
  }

  /** Per bucket (pass sizes up to 2^k rows), the way that serves now, for reports. */
  summary(): { maxRows: number; inline: boolean; threadsMsPerRow: number; inlineMsPerRow: number }[] {
    return [...this.buckets.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([k, b]) => ({
        maxRows: 2 ** k,
        inline: b.ways[1].msPerRow < b.ways[0].msPerRow,
        threadsMsPerRow: b.ways[0].msPerRow,
        inlineMsPerRow: b.ways[1].msPerRow,
      }));
  }

  private bucket(rows: number): Bucket {
    const k = Math.ceil(Math.log2(Math.max(1, rows)));
    let b = this.buckets.get(k);
    if (!b) {
      b = {
        ways: [
          { runs: 0, msPerRow: Number.POSITIVE_INFINITY },
          { runs: 0, msPerRow: Number.POSITIVE_INFINITY },
        ],
        picks: 0,
      };
      this.buckets.set(k, b);
    }
    return b;
  }
}
