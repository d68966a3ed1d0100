import { expect, test } from 'vitest';
import { mergeSources } from './merge.js';

async function* numbers(from: number, count: number, gate?: Promise<void>) {
  for (let i = 0; i < count; i++) {
    if (gate && i === 1) await gate;
    yield from + i;
  }
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

test('every item of every source, each source in order, at most `concurrency` sources started at once', async () => {
  const started: number[] = [];
  let open = 0;
  let maxOpen = 0;
  const sources = [0, 100, 200, 300, 400].map((base) => () => {
    started.push(base);
    return (async function* () {
      open++;
      maxOpen = Math.max(maxOpen, open);
      yield* numbers(base, 3);
      open--;
    })();
  });
  const items = await collect(mergeSources(sources, 2));
  expect(items.sort((a, b) => a - b)).toEqual([
    0, 1, 2, 100, 101, 102, 200, 201, 202, 300, 301, 302, 400, 401, 402,
  ]);
  for (const base of [0, 100, 200, 300, 400]) {
    const own = items.filter((i) => i >= base && i < base + 100);
    expect(own).toEqual([base, base + 1, base + 2]);
  }
  expect(maxOpen).toBe(2);
  expect(started).toEqual([0, 100, 200, 300, 400]);
});

test('a blocked source does not hold back the others', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const seen: number[] = [];
  for await (const item of mergeSources([() => numbers(0, 3, gate), () => numbers(10, 3)], 2)) {
    seen.push(item);
    if (item === 12) release();
  }
  expect(seen.indexOf(12)).toBeLessThan(seen.indexOf(1));
  expect(seen.sort((a, b) => a - b)).toEqual([0, 1, 2, 10, 11, 12]);
});

test('a failing source fails the merge and the others are aborted and closed', async () => {
  const closed: string[] = [];
  const hanging = (signal: AbortSignal) =>
    (async function* () {
      try {
        yield 1;
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      } finally {
        closed.push('hanging');
      }
    })();
  const failing = () =>
    (async function* () {
      yield 2;
      throw new Error('boom');
    })();
  await expect(collect(mergeSources([hanging, failing], 2))).rejects.toThrow('boom');
  expect(closed).toEqual(['hanging']);
});

test('stopping early closes the running sources', async () => {
  const closed: number[] = [];
  const source = (base: number) => () =>
    (async function* () {
      try {
        yield* numbers(base, 100);
      } finally {
        closed.push(base);
      }
    })();
  for await (const item of mergeSources([source(0), source(1000)], 2)) {
    if (item >= 0) break;
  }
  expect(closed.sort((a, b) => a - b)).toEqual([0, 1000]);
});
