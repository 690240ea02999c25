// A pool of fixed-size KV pages with reference counts (vLLM's PagedAttention block manager:
// Kwon et al., "Efficient Memory Management for Large Language Model Serving with
// PagedAttention", SOSP 2023). A page is free when its count is zero; pages shared by
// forked sequences carry a count above one and are copied before they are written.
import { RuminateError } from '@ruminate/errors';

/** Reference-counted page ids 0..numPages-1 with a LIFO free list (recently freed pages are reused first). */
export class PagePool {
  /** Pages in the pool. */
  readonly numPages: number;
  private readonly refs: Uint32Array;
  private readonly freeList: number[];

  constructor(numPages: number) {
    if (!Number.isInteger(numPages) || numPages < 1) {
      throw new RuminateError(
        'invalid-argument',
        `KV page count must be a positive integer, got ${numPages}.`,
        {
          field: 'kvPages',
        },
      );
    }
    this.numPages = numPages;
    this.refs = new Uint32Array(numPages);
    // Highest id last so that pop() hands out page 0 first.
    this.freeList = Array.from({ length: numPages }, (_, i) => numPages - 1 - i);
  }

  /** Pages no sequence references. */
  get free(): number {
    return this.freeList.length;
  }

  /** Pages referenced at least once. */
  get used(): number {
    return this.numPages - this.freeList.length;
  }

  /** A free page with reference count 1, or undefined when the pool is empty. */
  tryAllocate(): number | undefined {
    const page = this.freeList.pop();
    if (page !== undefined) this.refs[page] = 1;
    return page;
  }

  /** Adds a reference to a page in use (a fork sharing it). */
  retain(page: number): void {
    this.check(page);
    this.refs[page] = (this.refs[page] as number) + 1;
  }

  /** Drops a reference; the page returns to the free list when none is left. */
  release(page: number): void {
    this.check(page);
    const n = (this.refs[page] as number) - 1;
    this.refs[page] = n;
    if (n === 0) this.freeList.push(page);
  }

  /** References held on a page (0 when free). */
  refCount(page: number): number {
    return this.refs[page] ?? 0;
  }

  private check(page: number): void {
    if (!(page >= 0 && page < this.numPages) || this.refs[page] === 0) {
      throw new RuminateError(
        'internal',
        `KV page ${page} is not in use; this is a bug in the KV allocator.`,
      );
    }
  }
}
