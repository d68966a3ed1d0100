import { expect, test } from 'vitest';
import { renderString, renderValue, unknownPlaceholders } from './template.js';

const vars = {
  values: { 'window.start': '2024-01-01T00:00:00.000Z', 'window.end': 1_704_153_600, page: 3, cursor: null },
  parent: { id: 'a/b 1', owner: { id: 7 }, tags: ['x'] },
};

test('placeholders in text are replaced; path values are URL-encoded', () => {
  expect(renderString('/customers/{parent.id}/orders', vars, true)).toBe('/customers/a%2Fb%201/orders');
  expect(renderString('{window.start}/{window.end}', vars)).toBe('2024-01-01T00:00:00.000Z/1704153600');
  expect(renderString('after={cursor}', vars)).toBe('after=');
  expect(renderString('owner {parent.owner.id}', vars)).toBe('owner 7');
});

test('a body value that is exactly one placeholder keeps the value type', () => {
  expect(
    renderValue(
      {
        paging: { pageNumber: '{page}', label: 'page {page}' },
        after: '{cursor}',
        until: '{window.end}',
        owner: '{parent.owner.id}',
        list: ['{page}', 'x'],
        fixed: 5,
      },
      vars,
    ),
  ).toEqual({
    paging: { pageNumber: 3, label: 'page 3' },
    after: null,
    until: 1_704_153_600,
    owner: 7,
    list: [3, 'x'],
    fixed: 5,
  });
});

test('a parent field that is missing fails naming the field; a value without a source fails too', () => {
  expect(() => renderString('/c/{parent.uuid}', vars)).toThrow(
    /the parent record has no field "uuid" for \{parent.uuid\}/,
  );
  expect(() => renderString('{offset}', vars)).toThrow(/no value for \{offset\}/);
});

test('unknown placeholders are found; ${env:...} and JSON-looking braces are not placeholders', () => {
  expect(unknownPlaceholders('{page}{pgae}{window.start}', ['page', 'window.start'])).toEqual(['pgae']);
  expect(unknownPlaceholders('{parent.id} {parent.a.b}', ['parent.'])).toEqual([]);
  expect(unknownPlaceholders('${env:TOKEN} { "a": 1 } {1}', [])).toEqual([]);
});
