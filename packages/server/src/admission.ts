// Admission of requests into one engine: each request reserves the sequences it will hold at once
// (the plan's batch width and its prompt's root) and an estimate of the KV pages they will fill;
// a request that would go past the engine's sequences or pages while others run is refused with
// `kv-cache-full` (429 and Retry-After), never started to fail half-way. One request alone is
// always admitted: the planner already sized it to the free memory.

import { RuminateError } from '@ruminate/errors';

/** What one request holds while it runs. */
export interface Reservation {
  /** Sequences held at once. */
  sequences: number;
  /** KV pages it may fill. */
  pages: number;
}

/** Counts what running requests hold against the engine's capacity; see the file comment. */
export class Admission {
  private readonly maxSequences: number;
  private readonly maxPages: number;
  private sequences = 0;
  private pages = 0;
  private running = 0;

  constructor(capacity: { sequences: number; pages: number }) {
    this.maxSequences = capacity.sequences;
    this.maxPages = capacity.pages;
  }

  /** Reserves `r`, or throws `kv-cache-full`; the returned function releases it (once). */
  admit(r: Reservation): () => void {
    if (
      this.running > 0 &&
      (this.sequences + r.sequences > this.maxSequences || this.pages + r.pages > this.maxPages)
    ) {
      throw new RuminateError(
        'kv-cache-full',
        `The server is full: ${this.sequences} of ${this.maxSequences} sequences and ${this.pages} of ${this.maxPages} KV pages are reserved, and this request needs ${r.sequences} and ${r.pages}; retry after the Retry-After delay, or ask for fewer samples.`,
      );
    }
    this.sequences += r.sequences;
    this.pages += r.pages;
    this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.sequences -= r.sequences;
      this.pages -= r.pages;
      this.running--;
    };
  }

  /** Requests running, and what they hold. */
  load(): { running: number; sequences: number; pages: number; maxSequences: number; maxPages: number } {
    return {
      running: this.running,
      sequences: this.sequences,
      pages: this.pages,
      maxSequences: this.maxSequences,
      maxPages: this.maxPages,
    };
  }
}
