import { describe, expect, test } from 'vitest';
import { ManualClock } from '../../test/support/clocks.js';
import { JITTER_MARGIN, RateLimiter } from './rate-limiter.js';

const FAR = Number.MAX_SAFE_INTEGER;
const interval = (perSecond: number) => (1_000 / perSecond) * (1 + JITTER_MARGIN);

/** Starts `n` acquisitions at once and records when (ms since the start) each was granted. */
function race(limiter: RateLimiter, clock: ManualClock, n: number): number[] {
  const start = clock.now().getTime();
  const granted: number[] = [];
  for (let i = 0; i < n; i++)
    void limiter.acquire(FAR).then(() => granted.push(clock.now().getTime() - start));
  return granted;
}

describe('rate limiter', () => {
  test('with burst 1, concurrent requests are spaced one interval apart, in arrival order', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ perSecond: 10 }, clock);
    const granted = race(limiter, clock, 5);
    await clock.advance(1_000);
    const step = interval(10);
    expect(granted).toEqual([0, step, 2 * step, 3 * step, 4 * step].map((t) => expect.closeTo(t, 6)));
  });

  test('a burst goes at once, then the sustained rate takes over', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ perSecond: 2, burst: 3 }, clock);
    const granted = race(limiter, clock, 5);
    await clock.advance(5_000);
    const step = interval(2);
    expect(granted).toEqual([0, 0, 0, step, 2 * step].map((t) => expect.closeTo(t, 6)));
  });

  test('no request starts before a pause the server asked for ends, and a pause moves sleepers back', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ perSecond: 1 }, clock);
    const start = clock.now().getTime();
    const granted = race(limiter, clock, 2);
    await clock.advance(10);
    // The second request sleeps until ~1 s; a 429 elsewhere now asks for quiet until 5 s.
    limiter.pauseUntil(start + 5_000, 'Retry-After: 5');
    await clock.advance(10_000);
    expect(granted[0]).toBe(0);
    expect(granted[1]).toBeGreaterThanOrEqual(5_000);
  });

  test('without a limit of its own it only honours pauses', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({}, clock);
    const granted = race(limiter, clock, 20);
    await clock.advance(0);
    expect(granted).toEqual(Array(20).fill(0));
  });

  test('a wait past the deadline fails at once with RATE_LIMITED naming the reason', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({}, clock);
    const now = clock.now().getTime();
    limiter.pauseUntil(now + 3_600_000, 'x-ratelimit-remaining: 0');
    await expect(limiter.acquire(now + 60_000)).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      kind: 'retry',
      message: expect.stringMatching(
        /asked to wait until .* \(x-ratelimit-remaining: 0\), past .*max_elapsed/,
      ),
    });
  });
});
