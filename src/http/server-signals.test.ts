import { describe, expect, test } from 'vitest';
import { parseReset, parseRetryAfter, rateLimitHeaders, serverWait } from './server-signals.js';

const now = Date.parse('2025-01-01T00:00:00Z');

describe('server signals', () => {
  test('Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  test('a reset is seconds from now, epoch seconds or epoch milliseconds, by magnitude', () => {
    expect(parseReset('30', now)).toBe(now + 30_000);
    expect(parseReset(String(now / 1000 + 60), now)).toBe(now + 60_000);
    expect(parseReset(String(now + 5_000), now)).toBe(now + 5_000);
    expect(parseReset('tomorrow', now)).toBeUndefined();
  });

  test.each([
    [429, { 'retry-after': '2' }, now + 2_000],
    [503, { 'retry-after': 'Wed, 01 Jan 2025 00:00:07 GMT' }, now + 7_000],
    [200, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 20) }, now + 20_000],
    [200, { 'ratelimit-remaining': '0', 'ratelimit-reset': '4' }, now + 4_000],
    [200, { ratelimit: '"default";r=0;t=9' }, now + 9_000],
    [200, { ratelimit: 'limit=100, remaining=0, reset=6' }, now + 6_000],
  ])('%i %j → wait', (status, headers, until) => {
    expect(serverWait(status, headers, now)?.until).toBe(until);
  });

  test.each([
    [200, { 'retry-after': '2' }],
    [429, {}],
    [200, { 'x-ratelimit-remaining': '5', 'x-ratelimit-reset': '20' }],
    [200, { ratelimit: '"default";r=3;t=9' }],
  ])('%i %j → no wait', (status, headers) => {
    expect(serverWait(status, headers, now)).toBeUndefined();
  });

  test('rate-limit headers are picked out for display', () => {
    expect(
      rateLimitHeaders({
        'content-type': 'application/json',
        'x-ratelimit-limit': '60',
        'ratelimit-policy': '10;w=1',
        'retry-after': '1',
      }),
    ).toEqual({ 'x-ratelimit-limit': '60', 'ratelimit-policy': '10;w=1', 'retry-after': '1' });
  });
});
