import { describe, expect, test } from 'vitest';
import { formatInstant, planWindows, windowValues } from './windows.js';

const at = (iso: string) => new Date(iso);
const bounds = (list: ReturnType<typeof planWindows>) =>
  list.map((w) => [w.start!.toISOString(), w.end!.toISOString()]);

/** Every window ends where the next starts, the first starts at `start` and the last ends at `end`. */
function expectTiling(list: ReturnType<typeof planWindows>, start: Date, end: Date) {
  const problems: string[] = [];
  if (list[0]?.start?.getTime() !== start.getTime()) problems.push('first window does not start at start');
  if (list.at(-1)?.end?.getTime() !== end.getTime()) problems.push('last window does not end at end');
  list.forEach((w, i) => {
    if (w.start!.getTime() >= w.end!.getTime()) problems.push(`window ${i} is empty`);
    if (i > 0 && w.start!.getTime() !== list[i - 1]!.end!.getTime()) problems.push(`gap or overlap at ${i}`);
    if (w.key !== w.start!.toISOString()) problems.push(`window ${i} key ${w.key}`);
  });
  expect(problems).toEqual([]);
}

describe('planWindows', () => {
  test('monthly windows cut at the first of each month, partial at both ends, across a leap February', () => {
    const start = at('2024-01-15T12:00:00Z');
    const end = at('2024-04-03T00:00:00Z');
    const list = planWindows(start, end, { unit: 'monthly' });
    expect(bounds(list)).toEqual([
      ['2024-01-15T12:00:00.000Z', '2024-02-01T00:00:00.000Z'],
      ['2024-02-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z'],
      ['2024-03-01T00:00:00.000Z', '2024-04-01T00:00:00.000Z'],
      ['2024-04-01T00:00:00.000Z', '2024-04-03T00:00:00.000Z'],
    ]);
    expectTiling(list, start, end);
  });

  test('monthly windows over a year boundary and at 31-day months', () => {
    const start = at('2023-11-30T23:59:59.999Z');
    const end = at('2024-02-01T00:00:00Z');
    const list = planWindows(start, end, { unit: 'monthly' });
    expect(bounds(list)).toEqual([
      ['2023-11-30T23:59:59.999Z', '2023-12-01T00:00:00.000Z'],
      ['2023-12-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z'],
      ['2024-01-01T00:00:00.000Z', '2024-02-01T00:00:00.000Z'],
    ]);
    expectTiling(list, start, end);
  });

  test('weekly windows start on Monday 00:00 UTC', () => {
    // 2024-01-03 is a Wednesday; 2024-01-08 and 2024-01-15 are Mondays.
    const list = planWindows(at('2024-01-03T05:00:00Z'), at('2024-01-16T00:00:00Z'), { unit: 'weekly' });
    expect(bounds(list)).toEqual([
      ['2024-01-03T05:00:00.000Z', '2024-01-08T00:00:00.000Z'],
      ['2024-01-08T00:00:00.000Z', '2024-01-15T00:00:00.000Z'],
      ['2024-01-15T00:00:00.000Z', '2024-01-16T00:00:00.000Z'],
    ]);
    const fromMonday = planWindows(at('2024-01-08T00:00:00Z'), at('2024-01-22T00:00:00Z'), {
      unit: 'weekly',
    });
    expect(fromMonday).toHaveLength(2);
    const fromSunday = planWindows(at('2024-01-07T23:00:00Z'), at('2024-01-09T00:00:00Z'), {
      unit: 'weekly',
    });
    expect(bounds(fromSunday)[0]![1]).toBe('2024-01-08T00:00:00.000Z');
  });

  test('daily and hourly windows, including the end of a month (UTC has no DST)', () => {
    const daily = planWindows(at('2024-03-30T10:00:00Z'), at('2024-04-01T10:00:00Z'), { unit: 'daily' });
    expect(bounds(daily)).toEqual([
      ['2024-03-30T10:00:00.000Z', '2024-03-31T00:00:00.000Z'],
      ['2024-03-31T00:00:00.000Z', '2024-04-01T00:00:00.000Z'],
      ['2024-04-01T00:00:00.000Z', '2024-04-01T10:00:00.000Z'],
    ]);
    const start = at('2024-10-27T00:30:00Z');
    const end = at('2024-10-27T04:00:00Z');
    const hourly = planWindows(start, end, { unit: 'hourly' });
    expect(hourly.map((w) => w.key)).toEqual([
      '2024-10-27T00:30:00.000Z',
      '2024-10-27T01:00:00.000Z',
      '2024-10-27T02:00:00.000Z',
      '2024-10-27T03:00:00.000Z',
    ]);
    expectTiling(hourly, start, end);
  });

  test('fixed lengths cut from the start; the last window is partial', () => {
    const start = at('2024-01-01T00:00:00Z');
    const end = at('2024-01-20T00:00:00Z');
    const list = planWindows(start, end, { ms: 7 * 86_400_000 });
    expect(bounds(list)).toEqual([
      ['2024-01-01T00:00:00.000Z', '2024-01-08T00:00:00.000Z'],
      ['2024-01-08T00:00:00.000Z', '2024-01-15T00:00:00.000Z'],
      ['2024-01-15T00:00:00.000Z', '2024-01-20T00:00:00.000Z'],
    ]);
    const quarter = planWindows(start, at('2024-01-01T01:00:00Z'), { ms: 15 * 60_000 });
    expect(quarter).toHaveLength(4);
    expectTiling(quarter, start, at('2024-01-01T01:00:00Z'));
  });

  test('a year of every granularity tiles the range exactly: no gaps, no overlaps', () => {
    const start = at('2023-12-17T07:13:00Z');
    const end = at('2025-01-09T02:00:00Z');
    for (const every of [
      { unit: 'monthly' },
      { unit: 'weekly' },
      { unit: 'daily' },
      { unit: 'hourly' },
      { ms: 6 * 3_600_000 },
      { ms: 15 * 60_000 },
    ] as const) {
      expectTiling(planWindows(start, end, every), start, end);
    }
  });

  test('an empty or inverted range has no windows', () => {
    expect(planWindows(at('2024-01-01T00:00:00Z'), at('2024-01-01T00:00:00Z'), { unit: 'daily' })).toEqual(
      [],
    );
    expect(planWindows(at('2024-02-01T00:00:00Z'), at('2024-01-01T00:00:00Z'), { unit: 'daily' })).toEqual(
      [],
    );
  });
});

describe('formats', () => {
  const d = at('2024-02-29T13:05:09.042Z');
  test.each([
    ['iso', '2024-02-29T13:05:09.042Z'],
    ['epoch_ms', 1_709_211_909_042],
    ['epoch_s', 1_709_211_909],
    ['date', '2024-02-29'],
    ['YYYY/MM/DD HH:mm:ss.SSS', '2024/02/29 13:05:09.042'],
    ['YYYYMMDD', '20240229'],
  ])('%s', (format, expected) => {
    expect(formatInstant(d, format)).toBe(expected);
  });

  test('an inclusive end is the last instant the format can express inside the window', () => {
    const window = { key: 'k', start: at('2024-01-01T00:00:00Z'), end: at('2024-01-02T00:00:00Z') };
    expect(windowValues(window, { format: 'date', inclusive_end: true })).toEqual({
      'window.start': '2024-01-01',
      'window.end': '2024-01-01',
    });
    expect(windowValues(window, { format: 'epoch_s', inclusive_end: true })['window.end']).toBe(
      1_704_153_599,
    );
    expect(windowValues(window, { format: 'YYYY-MM-DD HH:mm', inclusive_end: true })['window.end']).toBe(
      '2024-01-01 23:59',
    );
    expect(windowValues(window, { format: 'iso', inclusive_end: false })['window.end']).toBe(
      '2024-01-02T00:00:00.000Z',
    );
  });

  test('a window without bounds has no values', () => {
    expect(windowValues({ key: 'all', start: null, end: null }, undefined)).toEqual({});
  });
});
