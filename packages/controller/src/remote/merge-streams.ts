// Interleaves several async iterables into one, yielding each item as soon as its source produces
// it (a parallel fan-out of requests read as one stream). The first error ends the merge and
// closes every source; closing the merge closes them too.

/** Yields the items of every source as they arrive; see the file comment. */
export async function* mergeStreams<T>(sources: readonly AsyncIterable<T>[]): AsyncIterable<T> {
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<{ i: number; r: IteratorResult<T> }>>();
  const pull = (i: number) => {
    const it = iterators[i] as AsyncIterator<T>;
    const p = it.next().then((r) => ({ i, r }));
    p.catch(() => {}); // a source that fails after the merge ended must not become an unhandled rejection
    pending.set(i, p);
  };
  for (let i = 0; i < iterators.length; i++) pull(i);
  try {
    while (pending.size > 0) {
      const { i, r } = await Promise.race(pending.values());
      if (r.done) pending.delete(i);
      else {
        pull(i);
        yield r.value;
      }
    }
  } finally {
    // Close the sources still open (their pending next() results are dropped). Not awaited: a
    // source blocked in next() closes when its caller's abort signal fires.
    for (const i of pending.keys()) void iterators[i]?.return?.(undefined)?.catch(() => {});
  }
}
