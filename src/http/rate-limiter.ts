import type { Clock } from '../core/clock.js';
import { formatDuration } from '../core/duration.js';
import { HttpError } from '../core/errors.js';

/**
 * Requests are spaced this much wider than the configured rate. A server that counts requests in a sliding
 * window sees them after a network delay that varies by a few milliseconds; without the margin, two requests
 * a window apart on the client can land inside one window on the server and draw a 429.
 */
export const JITTER_MARGIN = 0.03;

export interface RateLimiterOptions {
  /** Requests per second; undefined for no limit of our own (the server's signals still pause requests). */
  perSecond?: number | undefined;
  /** Requests that may go back to back after a quiet spell. */
  burst?: number;
}

/**
 * A token bucket shared by every request of one source, written as GCRA (the "virtual scheduling" form):
 * each request reserves the next free slot synchronously, so concurrent callers never race for a token, and
 * waiters are served in arrival order. The server can pause it (`Retry-After`, `X-RateLimit-Remaining: 0`).
 */
export class RateLimiter {
  readonly #clock: Clock;
  /** Milliseconds between requests at the sustained rate (0: no limit). */
  readonly #interval: number;
  /** How far ahead of the schedule a burst may run. */
  readonly #tolerance: number;
  /** Theoretical arrival time of the next request, epoch ms. */
  #tat = 0;
  #pausedUntil = 0;
  #pauseReason = '';

  constructor(options: RateLimiterOptions, clock: Clock) {
    this.#clock = clock;
    this.#interval = options.perSecond ? (1_000 / options.perSecond) * (1 + JITTER_MARGIN) : 0;
    this.#tolerance = Math.max(0, (options.burst ?? 1) - 1) * this.#interval;
  }

  /**
   * Waits for this request's turn and returns how long it waited (ms). Throws RATE_LIMITED, without waiting,
   * when the turn comes after `deadline` (epoch ms): the request's time budget could not cover the wait.
   */
  async acquire(deadline: number, signal?: AbortSignal): Promise<number> {
    const start = this.#now();
    for (;;) {
      const now = this.#now();
      const slot = Math.max(now, this.#pausedUntil, this.#tat - this.#tolerance);
      if (slot > deadline) {
        const paused = slot === this.#pausedUntil;
        throw new HttpError(
          'RATE_LIMITED',
          `${paused ? `the API asked to wait until ${new Date(slot).toISOString()} (${this.#pauseReason})` : `the rate limit allows the next request in ${formatDuration(slot - now)}`}, past this request's time budget (retry.max_elapsed)`,
          { kind: 'retry', context: { until: new Date(slot).toISOString() } },
        );
      }
      this.#tat = Math.max(this.#tat, slot) + this.#interval;
      if (slot <= now) return now - start;
      await this.#clock.sleep(slot - now, signal);
      // A pause announced while this request slept (a 429 to another request) sends it to the back.
      if (this.#now() >= this.#pausedUntil) return this.#now() - start;
    }
  }

  /** The server asked for quiet until `until` (epoch ms): no request of this source starts before then. */
  pauseUntil(until: number, reason: string): void {
    if (until <= this.#pausedUntil) return;
    this.#pausedUntil = until;
    this.#pauseReason = reason;
  }

  #now(): number {
    return this.#clock.now().getTime();
  }
}
