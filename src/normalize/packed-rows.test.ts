import { expect, test } from 'vitest';
import { CSV_QUOTE, packRows, unpackRows } from './packed-rows.js';
import type { CellValue } from './types.js';

const Q = CSV_QUOTE;

test('rows come back from their text exactly: every kind of value, quotes, separators, nulls, short rows', () => {
  const rows: (CellValue | undefined)[][] = [
    ['plain', 1, true, null],
    ['', 0, false, 'x'],
    [`${Q}`, -1.5, null, `${Q}${Q}both${Q}`],
    ['a,b\nc', 1e21, 2 ** 53 - 1, 0.1 + 0.2],
    [`${Q},${Q}`, Number.NaN, Number.POSITIVE_INFINITY, '1'],
    ['true', 'false', 'null', ' '],
    ['short'],
    [undefined, 'after a missing value'],
    [],
  ];
  const packed = packRows(rows, 4, [0]);
  expect(unpackRows(packed)).toEqual(rows.map((row) => Array.from({ length: 4 }, (_, j) => row[j] ?? null)));
  expect(packed.nonNull).toEqual([7, 7, 5, 5]);
  expect(packed.keys).toEqual([rows.map((row) => row[0] ?? null)]);
});

test('a page of rows is one flat text with where each row ends', () => {
  const packed = packRows(
    [
      ['a', 1],
      ['b', 2],
    ],
    2,
    [],
  );
  expect(packed.text).toBe(`${Q}a${Q},1${Q}b${Q},2`);
  expect([...packed.ends]).toEqual([5, 10]);
});
