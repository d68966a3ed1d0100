import { expect, test } from 'vitest';
import { recordSelector } from './records.js';

test('a top-level array is the records', () => {
  expect(recordSelector(undefined)([{ a: 1 }, { a: 2 }])).toHaveLength(2);
});

test('without a path, the one array-valued key of an object holds the records', () => {
  expect(recordSelector(undefined)({ results: [{ a: 1 }], next: 'x', total: 1 })).toEqual([{ a: 1 }]);
  expect(recordSelector(undefined)({ id: 1, name: 'one record' })).toEqual([{ id: 1, name: 'one record' }]);
});

test.each([
  ['results', { results: [{ id: 1 }, { id: 2 }] }, 2],
  ['data.items[]', { data: { items: [{ id: 1 }] } }, 1],
  ['results[0].items', { results: [{ items: [{ id: 1 }, { id: 2 }, { id: 3 }] }] }, 3],
  ['data.items', { data: {} }, 0],
  ['data', { data: { id: 1 } }, 1],
])('path %s', (path, body, count) => {
  expect(recordSelector(path)(body)).toHaveLength(count);
});

test('a path that points at a scalar is an error that names it', () => {
  expect(() => recordSelector('meta.count')({ meta: { count: 3 } })).toThrow(/meta\.count.*number/);
});
