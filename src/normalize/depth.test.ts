import { describe, expect, test } from 'vitest';
import { resourceSchema } from '../config/resource.js';
import { RestlakeError } from '../core/errors.js';
import { MAX_DEPTH, nestedWithin } from './depth.js';
import { Normalizer } from './normalizer.js';

/** `{"a":{"a":...1}}`, `levels` objects deep. */
const objects = (levels: number): unknown => JSON.parse(`${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`);
/** `[[[...]]]`, `levels` arrays deep. */
const arrays = (levels: number): unknown => JSON.parse(`${'['.repeat(levels)}${']'.repeat(levels)}`);

function normalizer(resource: Record<string, unknown> = {}) {
  return new Normalizer(resourceSchema.parse({ name: 'things', endpoint: {}, ...resource }));
}

function failure(run: () => void): RestlakeError {
  try {
    run();
  } catch (error) {
    if (error instanceof RestlakeError) return error;
    throw error;
  }
  throw new Error('expected the normalizer to fail');
}

test('nestedWithin counts levels of objects and arrays, and measures values too deep for the stack', () => {
  expect(nestedWithin(1, 0)).toBe(true);
  expect(nestedWithin({}, 0)).toBe(false);
  expect(nestedWithin({ a: [1, { b: 2 }] }, 3)).toBe(true);
  expect(nestedWithin({ a: [1, { b: 2 }] }, 2)).toBe(false);
  expect(nestedWithin(arrays(100_000), 100_000)).toBe(true);
  expect(nestedWithin(arrays(100_000), 99_999)).toBe(false);
});

describe(`records nested more than ${MAX_DEPTH} levels fail the load with NESTING_TOO_DEEP`, () => {
  // The record itself is the first level: its `a` holds MAX_DEPTH - 1 more.
  test.each([
    ['flattened objects', {}, objects],
    ['objects kept as JSON (max_nesting)', { max_nesting: 2 }, objects],
    ['arrays kept as JSON', {}, arrays],
    ['a declared json column', { schema: { a: 'json' } }, objects],
  ])('%s: %s levels load, one more fails', (_, resource, deep) => {
    const fits = normalizer(resource);
    fits.normalize([{ id: 1, a: deep(MAX_DEPTH - 1) }], { page: 0, runId: 'r' });
    expect(fits.take()[0]!.rows).toHaveLength(1);

    const error = failure(() =>
      normalizer(resource).normalize([{ id: 1, a: deep(MAX_DEPTH) }], { page: 3, runId: 'r' }),
    );
    expect(error.code).toBe('NESTING_TOO_DEEP');
    expect(error.message).toMatch(/^things, page 3, record 0: nested too deeply: more than 1000 levels/);
    expect(error.message.length).toBeLessThan(300);
  });

  test('far deeper than the call stack goes: a clean error, not a stack overflow', () => {
    const error = failure(() =>
      normalizer().normalize([{ id: 1, a: objects(50_000) }], { page: 0, runId: 'r' }),
    );
    expect(error.code).toBe('NESTING_TOO_DEEP');
    expect(error.message).toContain('(column "a.a.a.a…")');
  });

  test('even under quarantine: such a record cannot be kept whole in the rejected table', () => {
    const n = normalizer({ on_cast_error: 'quarantine', schema: { id: 'bigint' } });
    expect(failure(() => n.normalize([{ id: 1, a: arrays(20_000) }], { page: 0, runId: 'r' })).code).toBe(
      'NESTING_TOO_DEEP',
    );
    // A record rejected for a cast error before the walk reaches its deep part.
    const cast = normalizer({ on_cast_error: 'quarantine', schema: { id: 'bigint' } });
    const error = failure(() => cast.normalize([{ id: 'x', a: arrays(20_000) }], { page: 2, runId: 'r' }));
    expect(error.code).toBe('NESTING_TOO_DEEP');
    expect(error.message).toMatch(/^things, page 2: a record to quarantine is nested too deeply/);
  });
});
