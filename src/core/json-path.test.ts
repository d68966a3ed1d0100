import { describe, expect, test } from 'vitest';
import { compileJsonPath, jsonPathProblem } from './json-path.js';

describe('json paths', () => {
  const body = {
    results: [{ items: [1, 2] }, { items: [3] }],
    data: { items: [{ id: 'a' }, { id: 'b' }] },
    meta: { next_cursor: 'abc', total: 7 },
  };

  test.each([
    ['meta.next_cursor', 'abc'],
    ['meta.total', 7],
    ['results[0].items', [1, 2]],
    ['results[1].items[0]', 3],
    ['data.items', [{ id: 'a' }, { id: 'b' }]],
    ['data.items[]', [{ id: 'a' }, { id: 'b' }]],
    ['data.items[].id', ['a', 'b']],
    ['results[].items[]', [1, 2, 3]],
    ['meta.missing', undefined],
    ['results[9].items', undefined],
  ])('%s', (path, expected) => {
    expect(compileJsonPath(path).get(body)).toEqual(expected);
  });

  test('reports where a path is malformed', () => {
    expect(jsonPathProblem('data..items')).toMatch(/character 6/);
    expect(jsonPathProblem('data[x]')).toMatch(/invalid path/);
    expect(jsonPathProblem('data.items[]')).toBeUndefined();
  });
});
