/** A source of items that is started only when the merge has room for it, and stops when `signal` aborts. */
export type LazySource<T> = (signal: AbortSignal) => AsyncIterable<T>;

/**
 * Runs up to `concurrency` sources at once and yields their items as they arrive; a source is started when
 * another one finishes. Each running source has at most one item in flight, so a slow consumer stops them
 * all (backpressure). Items of one source keep their order. When the consumer stops early or a source fails,
 * the others are aborted through their signal and closed before the merge returns or throws.
 */
export async function* mergeSources<T>(
  sources: Iterable<LazySource<T>>,
  concurrency: number,
  signal?: AbortSignal,
): AsyncGenerator<T> {
  const aborter = new AbortController();
  const stop = () => aborter.abort(signal?.reason);
  signal?.addEventListener('abort', stop, { once: true });
  const pending = sources[Symbol.iterator]();
  type Running = {
    iterator: AsyncIterator<T>;
    next: Promise<{ running: Running; result: IteratorResult<T> }>;
  };
  const running = new Set<Running>();
  const pull = (entry: Running) => {
    entry.next = entry.iterator.next().then((result) => ({ running: entry, result }));
    // Rejections surface through Promise.race below; until then, keep Node from reporting them as unhandled.
    entry.next.catch(() => {});
    // Re-inserting moves the source to the back, so a fast source cannot starve the others.
    running.delete(entry);
    running.add(entry);
  };
  const fill = () => {
    while (running.size < Math.max(1, concurrency)) {
      const source = pending.next();
      if (source.done) return;
      const entry = { iterator: source.value(aborter.signal)[Symbol.asyncIterator]() } as Running;
      pull(entry);
    }
  };
  try {
    fill();
    while (running.size > 0) {
      const { running: entry, result } = await Promise.race([...running].map((r) => r.next));
      if (result.done) {
        running.delete(entry);
        fill();
        continue;
      }
      yield result.value;
      pull(entry);
    }
  } finally {
    signal?.removeEventListener('abort', stop);
    if (running.size > 0) {
      aborter.abort(new Error('merge stopped'));
      await Promise.allSettled([...running].map((r) => r.next.then(() => r.iterator.return?.())));
    }
  }
}
