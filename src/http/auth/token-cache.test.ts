import { describe, expect, test } from 'vitest';
import { steppingClock } from '../../../test/support/clocks.js';
import { redact } from '../../core/redact.js';
import { TokenCache } from './token-cache.js';
import type { TokenTransport } from './types.js';

const via: TokenTransport = async () => {
  throw new Error('not used');
};

function counting(lifetimeMs: number | undefined, clock: ReturnType<typeof steppingClock>) {
  let fetches = 0;
  const cache = new TokenCache(async () => {
    fetches++;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const now = clock.now().getTime();
    return { value: `token-value-${fetches}`, expiresAt: lifetimeMs ? now + lifetimeMs : undefined };
  }, clock);
  return { cache, fetches: () => fetches };
}

describe('token cache', () => {
  test('concurrent callers share one fetch, and the token is registered as a secret', async () => {
    const clock = steppingClock();
    const { cache, fetches } = counting(3_600_000, clock);
    const tokens = await Promise.all(Array.from({ length: 20 }, () => cache.get(via)));
    expect(fetches()).toBe(1);
    expect(new Set(tokens.map((t) => t.value))).toEqual(new Set(['token-value-1']));
    expect(redact('Bearer token-value-1')).toBe('Bearer ***');
  });

  test('renewed shortly before expiry: a minute early for an hour-long token, 10% early for short ones', async () => {
    const clock = steppingClock();
    const { cache, fetches } = counting(3_600_000, clock);
    await cache.get(via);
    clock.advance(3_600_000 - 60_001);
    expect((await cache.get(via)).value).toBe('token-value-1');
    clock.advance(1);
    expect((await cache.get(via)).value).toBe('token-value-2');
    expect(fetches()).toBe(2);

    const short = counting(10_000, clock);
    await short.cache.get(via);
    clock.advance(8_999);
    await short.cache.get(via);
    clock.advance(1);
    await short.cache.get(via);
    expect(short.fetches()).toBe(2);
  });

  test('a rejected token is renewed once, however many requests report it', async () => {
    const clock = steppingClock();
    const { cache, fetches } = counting(undefined, clock);
    const { generation } = await cache.get(via);
    await Promise.all(Array.from({ length: 8 }, () => cache.renew(generation, via)));
    await cache.renew(generation, via);
    expect(fetches()).toBe(2);
    expect((await cache.get(via)).generation).toBe(generation + 1);
  });
});
