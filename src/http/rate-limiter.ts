import type { RateLimitConfig } from '../config/source.js';
import type { Clock } from '../core/clock.js';
import { formatDuration } from '../core/duration.js';
import { HttpError } from '../core/errors.js';

/** Granted by `acquire`; `answered` must be called once the response headers arrived (or the request failed). */
export interface Permit {
  /** How long the request waited for its turn (ms). */
  waitedMs: number;
  /** Idempotent: only the first call counts. */
  answered(): void;
}

/** Longest run of requests the window guard tracks; longer limits are guarded in sub-windows. */
const MAX_GUARDED = 1_000;

/**
 * The rate limit of one source, shared by every request to it.
 *
 * Requests are spaced evenly at the configured rate (GCRA, the "virtual scheduling" form of a token bucket:
 * each request reserves the next free slot synchronously, so concurrent callers never race and are served
 * in arrival order). With `burst`, that many may go back to back after a quiet spell.
 *
 * Without `burst`, a window guard also makes the limit exact as the server counts it: the server sees a
 * request at some moment between sending it and receiving the answer, and a slow first request (a new TLS
 * connection) can land late enough that, by send times alone, the server counts one request too many in a
 * window. So request k+N may start only a window (N requests' worth) after request k was answered, which
 * holds for any network delay, at the cost of about one latency per window of throughput.
 *
 * The server can pause everything (`Retry-After`, `X-RateLimit-Remaining: 0`) through `pauseUntil`.
 */
export class RateLimiter {
  readonly #clock: Clock;
  /** Milliseconds between requests at the sustained rate (0: no limit of our own). */
  readonly #interval: number;
  /** How far ahead of the schedule a burst may run. */
  readonly #tolerance: number;
  /** Theoretical arrival time of the next request, epoch ms. */
  #tat = 0;
  /** When each of the last N requests was answered (a promise while it is in flight). */
  readonly #answered: Array<Promise<number>>;
  readonly #guardMs: number;
  #sequence = 0;
  #pausedUntil = 0;
  #pauseReason = '';

  constructor(config: RateLimitConfig | undefined, clock: Clock) {
    this.#clock = clock;
    this.#interval = config ? config.windowMs / config.limit : 0;
    this.#tolerance = Math.max(0, (config?.burst ?? 1) - 1) * this.#interval;
    const guarded =
      config && config.burst === undefined ? Math.min(MAX_GUARDED, Math.max(1, Math.floor(config.limit))) : 0;
    this.#answered = new Array(guarded);
    this.#guardMs = guarded * this.#interval;
  }

  /**
   * Waits for this request's turn. Throws RATE_LIMITED, without waiting, when the turn comes after
   * `deadline` (epoch ms): the request's time budget cannot cover the wait.
   */
  async acquire(deadline: number, signal?: AbortSignal): Promise<Permit> {
    const start = this.#now();
    let answered = (_at: number) => {};
    const mine = new Promise<number>((resolve) => {
      answered = resolve;
    });
    try {
      if (this.#answered.length > 0) {
        const index = this.#sequence++ % this.#answered.length;
        const previous = this.#answered[index];
        this.#answered[index] = mine;
        // One millisecond more than the window: answer times are whole milliseconds, and a request answered
        // at 100.9 ms (recorded at 100) may have been counted by the server as late as 100.9.
        if (previous) await this.#waitUntil((await previous) + this.#guardMs + 1, deadline, signal);
      }
      await this.#takeSlot(deadline, signal);
    } catch (error) {
      answered(this.#now());
      throw error;
    }
    return { waitedMs: this.#now() - start, answered: () => answered(this.#now()) };
  }

  /** The server asked for quiet until `until` (epoch ms): no request of this source starts before then. */
  pauseUntil(until: number, reason: string): void {
    if (until <= this.#pausedUntil) return;
    this.#pausedUntil = until;
    this.#pauseReason = reason;
  }

  async #takeSlot(deadline: number, signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      const now = this.#now();
      const slot = Math.max(now, this.#pausedUntil, this.#tat - this.#tolerance);
      this.#checkDeadline(slot, deadline);
      this.#tat = Math.max(this.#tat, slot) + this.#interval;
      if (slot <= now) return;
      await this.#clock.sleep(slot - now, signal);
      // A pause announced while this request slept (a 429 to another request) sends it to the back.
      if (this.#now() >= this.#pausedUntil) return;
    }
  }

  /** Waits until `time`, checked again after each sleep: a timer may fire a little early. */
  async #waitUntil(time: number, deadline: number, signal: AbortSignal | undefined): Promise<void> {
    for (let now = this.#now(); now < time; now = this.#now()) {
      this.#checkDeadline(time, deadline);
      await this.#clock.sleep(time - now, signal);
    }
  }

  #checkDeadline(slot: number, deadline: number): void {
    if (slot <= deadline) return;
    const paused = slot === this.#pausedUntil;
    throw new HttpError(
      'RATE_LIMITED',
      `${paused ? `the API asked to wait until ${new Date(slot).toISOString()} (${this.#pauseReason})` : `the rate limit allows the next request in ${formatDuration(slot - this.#now())}`}, past this request's time budget (retry.max_elapsed)`,
      { kind: 'retry', context: { until: new Date(slot).toISOString() } },
    );
  }

  #now(): number {
    return this.#clock.now().getTime();
  }
}
