import type { Clock } from '../../src/core/clock.js';

/**
 * A clock whose sleeps return at once and move time forward by their length, recorded in `sleeps`: backoff
 * and rate-limit waits are checked without waiting. `advance` moves time by hand (a token expiring).
 */
export function steppingClock(start = '2025-01-01T00:00:00Z'): Clock & {
  sleeps: number[];
  advance(ms: number): void;
} {
  let now = Date.parse(start);
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => new Date(now),
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

/**
 * A clock that stands still until the test moves it: sleepers wake in time order as `advance` passes their
 * deadline, so concurrent waiters (a shared rate limiter) are checked step by step.
 */
export class ManualClock implements Clock {
  #now: number;
  #sleepers: Array<{ at: number; wake: () => void }> = [];

  constructor(start = '2025-01-01T00:00:00Z') {
    this.#now = Date.parse(start);
  }

  now(): Date {
    return new Date(this.#now);
  }

  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((wake) => this.#sleepers.push({ at: this.#now + ms, wake }));
  }

  /** How many callers are asleep. */
  get sleeping(): number {
    return this.#sleepers.length;
  }

  /** Moves time forward by `ms`, waking each sleeper at its own time and letting it run before the next. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      await settle();
      const next = this.#sleepers.filter((s) => s.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.#sleepers.splice(this.#sleepers.indexOf(next), 1);
      this.#now = next.at;
      next.wake();
    }
    this.#now = target;
    await settle();
  }
}

/** Lets every pending promise continuation run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
