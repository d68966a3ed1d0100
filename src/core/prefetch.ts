/**
 * Runs an async iterable ahead of its consumer by up to `capacity` items, so producing the next item
 * (fetching and normalizing pages) overlaps with consuming this one (committing a batch). The bound is the
 * backpressure: a slow consumer stops the producer instead of letting memory grow.
 */
export async function* prefetch<T>(source: AsyncIterable<T>, capacity: number): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const buffer: Promise<IteratorResult<T>>[] = [];
  const pull = () => {
    const next = iterator.next();
    // Rejections are handled when the consumer awaits this promise; until then, keep Node from reporting them.
    next.catch(() => {});
    buffer.push(next);
  };
  let finished = false;
  try {
    pull();
    while (buffer.length > 0) {
      const result = await buffer.shift()!;
      if (result.done) {
        finished = true;
        return;
      }
      // Keep up to `capacity` items in flight behind the one being consumed.
      while (buffer.length < capacity) pull();
      yield result.value;
      if (buffer.length === 0) pull();
    }
  } finally {
    if (!finished) await iterator.return?.();
  }
}
