import { describe, expect, test } from 'vitest';
import { ManualClock } from '../../test/support/clocks.js';
import { type Permit, RateLimiter } from './rate-limiter.js';

const FAR = Number.MAX_SAFE_INTEGER;
const perSecond = (limit: number, burst?: number) => ({ limit, windowMs: 1_000, burst });

/** Starts `n` acquisitions at once; records when (ms since the start) each was granted, and its permit. */
function race(limiter: RateLimiter, clock: ManualClock, n: number, answerAtOnce = true) {
  const start = clock.now().getTime();
  const granted: number[] = [];
  const permits: Permit[] = [];
  for (let i = 0; i < n; i++) {
    void limiter.acquire(FAR).then((permit) => {
      granted.push(clock.now().getTime() - start);
      permits.push(permit);
      if (answerAtOnce) permit.answered();
    });
  }
  return { granted, permits };
}

describe('rate limiter', () => {
  test('without burst, concurrent requests are spaced one interval apart, in arrival order', async () => {
    const clock = new ManualClock();
    const { granted } = race(new RateLimiter(perSecond(10), clock), clock, 5);
    await clock.advance(1_000);
    expect(granted).toEqual([0, 100, 200, 300, 400]);
  });

  test('with burst, that many go at once, then the sustained rate takes over', async () => {
    const clock = new ManualClock();
    const { granted } = race(new RateLimiter(perSecond(2, 3), clock), clock, 5);
    await clock.advance(5_000);
    expect(granted).toEqual([0, 0, 0, 500, 1000]);
  });

  test('request N+1 waits a whole window after request 1 was answered, however late that was', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(perSecond(4), clock);
    const { granted, permits } = race(limiter, clock, 6, false);
    // The first two requests took until 400 ms (a new connection): the server may have counted them then.
    await clock.advance(400);
    expect(granted).toEqual([0, 250]);
    for (const permit of permits) permit.answered();
    await clock.advance(350);
    expect(granted).toEqual([0, 250, 500, 750]);
    for (const permit of permits.slice(2)) permit.answered();
    await clock.advance(10_000);
    // By send times alone they would go at 1000 and 1250; a window (and a millisecond, the clock's resolution)
    // after the answers at 400, they go at 1401 and 1651.
    expect(granted.slice(4)).toEqual([1_401, 1_651]);
  });

  test('no request starts before a pause the server asked for ends, and a pause moves sleepers back', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(perSecond(1), clock);
    const start = clock.now().getTime();
    const { granted } = race(limiter, clock, 2);
    await clock.advance(10);
    // The second request sleeps until 1 s; a 429 elsewhere now asks for quiet until 5 s.
    limiter.pauseUntil(start + 5_000, 'Retry-After: 5');
    await clock.advance(10_000);
    expect(granted).toEqual([0, 5_000]);
  });

  test('without a limit of its own it only honours pauses', async () => {
    const clock = new ManualClock();
    const { granted } = race(new RateLimiter(undefined, clock), clock, 20);
    await clock.advance(0);
    expect(granted).toEqual(Array(20).fill(0));
  });

  test('a wait past the deadline fails at once with RATE_LIMITED naming the reason', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(undefined, clock);
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
