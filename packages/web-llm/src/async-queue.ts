// A push-to-pull queue: a producer pushes items (and ends, or fails), one consumer iterates
// them with `for await`. Backs the streamed replies.

/** Items pushed by a producer, read once with `for await`. */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiting: ((r: IteratorResult<T>) => void) | undefined;
  private failWaiting: ((e: unknown) => void) | undefined;
  private ended = false;
  private error: { e: unknown } | undefined;

  /** `onReturn` runs when the consumer stops early (break, return). */
  constructor(private readonly onReturn?: () => void) {}

  /** Adds an item (ignored after `end`/`fail`). */
  push(item: T): void {
    if (this.ended) return;
    const w = this.waiting;
    if (w) {
      this.clearWaiting();
      w({ value: item, done: false });
    } else this.items.push(item);
  }

  /** No more items: the consumer's loop ends after the queued ones. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const w = this.waiting;
    if (w && this.items.length === 0) {
      this.clearWaiting();
      w({ value: undefined, done: true });
    }
  }

  /** The consumer's loop throws `e` after the queued items. */
  fail(e: unknown): void {
    if (this.ended) return;
    this.error = { e };
    this.ended = true;
    const f = this.failWaiting;
    if (f && this.items.length === 0) {
      this.clearWaiting();
      f(e);
    }
  }

  private clearWaiting(): void {
    this.waiting = undefined;
    this.failWaiting = undefined;
  }

  /** The consumer's iterator. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const item = this.items.shift();
        if (item !== undefined) return Promise.resolve({ value: item, done: false });
        if (this.error) return Promise.reject(this.error.e);
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise<IteratorResult<T>>((ok, fail) => {
          this.waiting = ok;
          this.failWaiting = fail;
        });
      },
      return: () => {
        if (!this.ended) {
          this.ended = true;
          this.onReturn?.();
        }
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
