import { describe, expect, test } from 'vitest';
import { CastFailure, casterFor, inferType, widen } from './cast.js';
import type { ColumnType } from './types.js';

describe('casting to declared types', () => {
  test.each<[ColumnType, unknown, unknown]>([
    ['string', 'x', 'x'],
    ['string', 12, '12'],
    ['string', { a: 1 }, '{"a":1}'],
    ['integer', 42, 42],
    ['integer', '42', 42],
    ['bigint', 9_007_199_254_740_991, 9_007_199_254_740_991],
    ['double', '1.5', 1.5],
    ['double', 3, 3],
    ['boolean', 'TRUE', true],
    ['boolean', 0, false],
    ['timestamp', '2024-03-01T10:00:00+02:00', '2024-03-01T10:00:00+02:00'],
    ['timestamp', '2024-03-01T10:00:00', '2024-03-01T10:00:00Z'],
    ['timestamp', '2024-03-01 10:00:00.123456Z', '2024-03-01 10:00:00.123456Z'],
    ['timestamp', 1_709_287_200, '2024-03-01T10:00:00.000Z'],
    ['timestamp', 1_709_287_200_000, '2024-03-01T10:00:00.000Z'],
    ['timestamp', '2024-03-01', '2024-03-01T00:00:00Z'],
    ['date', '2024-03-01', '2024-03-01'],
    ['date', '2024-03-01T23:00:00Z', '2024-03-01'],
    ['decimal(12,2)', '1234.56', '1234.56'],
    ['decimal(12,2)', 10.5, '10.5'],
    ['decimal(4,2)', '-12.3', '-12.3'],
    ['json', [1, 2], '[1,2]'],
    ['json', 'text', '"text"'],
  ])('%s ← %j', (type, input, expected) => {
    expect(casterFor(type)(input)).toEqual(expected);
  });

  test.each<[ColumnType, unknown]>([
    ['integer', 1.5],
    ['integer', 3_000_000_000],
    ['integer', 'abc'],
    ['double', 'x1'],
    ['boolean', 'yes'],
    ['timestamp', 'yesterday'],
    ['timestamp', '2024-13-45T10:00:00Z'],
    ['date', '01/03/2024'],
    ['decimal(4,2)', '123.45'],
    ['decimal(12,2)', 'ten'],
  ])('%s rejects %j', (type, input) => {
    expect(() => casterFor(type)(input)).toThrow(CastFailure);
  });
});

describe('integers beyond 2^53 (bigint values from parseJson)', () => {
  test('a bigint column takes the exact digits, from a bigint or from text', () => {
    const bigint = casterFor('bigint');
    expect(bigint(1234567890123456789n)).toBe('1234567890123456789');
    expect(bigint(' 1234567890123456789 ')).toBe('1234567890123456789');
    expect(bigint(-9223372036854775808n)).toBe('-9223372036854775808');
    expect(() => bigint(9223372036854775808n)).toThrow(CastFailure);
    expect(() => casterFor('integer')(1234567890123456789n)).toThrow(CastFailure);
  });

  test('other types take it as they take a number; json writes it as a number', () => {
    expect(casterFor('string')(1234567890123456789n)).toBe('1234567890123456789');
    expect(casterFor('decimal(38,0)')(12345678901234567890123n)).toBe('12345678901234567890123');
    expect(casterFor('double')(1234567890123456789n)).toBe(Number(1234567890123456789n));
    expect(casterFor('json')({ id: 1234567890123456789n })).toBe('{"id":1234567890123456789}');
    expect(casterFor('string')([1234567890123456789n])).toBe('[1234567890123456789]');
  });

  test('inferred as the narrowest type that holds it exactly', () => {
    expect(inferType(1234567890123456789n)).toBe('bigint');
    expect(inferType(18446744073709551615n)).toBe('decimal(38,0)');
    expect(inferType(10n ** 40n)).toBe('string');
  });
});

describe('the fast check of UTC timestamps', () => {
  // The general rule, which the fast check must agree with wherever it decides.
  const general = (text: string) =>
    /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?$/i.test(text) &&
    !Number.isNaN(Date.parse(text.replace(' ', 'T')));
  const accepts = (text: string) => {
    try {
      return casterFor('timestamp')(text) === text;
    } catch {
      return false;
    }
  };

  test('every one-character change of a timestamp is judged as the general rule judges it', () => {
    const bases = ['2024-03-01T10:00:00Z', '2024-12-31T23:59:59.123Z', '1999-02-28T00:00:00.123456789Z'];
    let checked = 0;
    for (const base of bases) {
      for (let i = 0; i < base.length; i++) {
        for (const c of '0123456789-:.TZz x+') {
          const text = base.slice(0, i) + c + base.slice(i + 1);
          if (text.endsWith('Z')) expect([text, accepts(text)]).toEqual([text, general(text)]);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  test.each([
    '2024-13-01T00:00:00Z',
    '2024-00-10T00:00:00Z',
    '2024-01-32T00:00:00Z',
    '2024-01-01T23:60:00Z',
    '2024-01-01T23:59:60Z',
    '2024-01-01T00:00:00.Z',
    '2024-01-01T00:00:00.1234567890Z',
  ])('%s is not taken as is', (text) => expect(accepts(text)).toBe(false));
});

describe('inference', () => {
  test.each<[unknown, ColumnType | undefined]>([
    [true, 'boolean'],
    [3, 'bigint'],
    [3.5, 'double'],
    ['hello', 'string'],
    ['2024-03-01T10:00:00Z', 'timestamp'],
    ['2024-03-01', 'date'],
    ['12.50', 'string'],
    [[1], 'json'],
    [null, undefined],
  ])('%j → %s', (value, type) => {
    expect(inferType(value)).toBe(type);
  });

  test.each<[ColumnType, ColumnType, ColumnType]>([
    ['bigint', 'double', 'double'],
    ['integer', 'bigint', 'bigint'],
    ['date', 'timestamp', 'timestamp'],
    ['bigint', 'string', 'string'],
    ['boolean', 'bigint', 'string'],
    ['json', 'string', 'string'],
    ['double', 'double', 'double'],
    ['decimal(38,0)', 'bigint', 'decimal(38,0)'],
    ['decimal(12,2)', 'bigint', 'decimal(21,2)'],
    ['decimal(12,2)', 'integer', 'decimal(12,2)'],
    ['decimal(38,20)', 'bigint', 'double'],
    ['decimal(12,2)', 'double', 'double'],
  ])('widen(%s, %s) = %s', (a, b, wider) => {
    expect(widen(a, b)).toBe(wider);
    expect(widen(b, a)).toBe(wider);
  });
});
