import { describe, expect, test } from 'vitest';
import { RequestLog, type RequestRecord } from './telemetry.js';

const record = (i: number, status: number | undefined): RequestRecord => ({
  at: new Date(1_700_000_000_000 + i),
  method: 'GET',
  path: `/x?page=${i}`,
  status,
  error: status === undefined ? 'HTTP_TIMEOUT' : undefined,
  latencyMs: i % 100,
  bytes: 10,
  attempt: 1,
  waitMs: 0,
  backoffMs: 0,
  auth: false,
});

describe('request log', () => {
  test('keeps every record up to its capacity, oldest first, each standing for one request', () => {
    const log = new RequestLog(10);
    for (let i = 0; i < 8; i++) log.record(record(7 - i, 200));
    const rows = log.records();
    expect(rows).toHaveLength(8);
    expect(rows.map((r) => r.path)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => `/x?page=${i}`));
    expect(rows.every((r) => r.weight === 1)).toBe(true);
  });

  test('past its capacity it keeps a bounded sample whose weights add up to the exact counts', () => {
    const log = new RequestLog(100);
    for (let i = 0; i < 100_000; i++) log.record(record(i, i % 2_000 === 0 ? 503 : 200));
    log.record(record(100_001, undefined));
    const rows = log.records();
    expect(rows.length).toBe(151);
    const sum = (filter: (r: (typeof rows)[number]) => boolean) =>
      rows.filter(filter).reduce((total, r) => total + r.weight, 0);
    expect(Math.round(sum(() => true))).toBe(100_001);
    expect(Math.round(sum((r) => r.status === 200))).toBe(99_950);
    // Failures are sampled apart: all 51 of them are still there.
    expect(sum((r) => r.status !== 200)).toBe(51);
    expect(log.size).toBe(100_001);
  });
});
