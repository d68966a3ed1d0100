import type { Clock } from '../core/clock.js';
import { formatDuration } from '../core/duration.js';
import { HttpError } from '../core/errors.js';

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  threshold: number;
  cooldownMs: number;
  /** Names the source in messages (its base URL). */
  name: string;
}

/**
 * Stops hammering a source that is down. After `threshold` consecutive failed attempts the circuit opens and
 * every request fails at once (CIRCUIT_OPEN, saying why it opened) for the cooldown; then the first request
 * is let through as a probe while the others wait for its outcome: success closes the circuit, failure opens
 * it for another cooldown. Shared by every request of one source.
 */
export class CircuitBreaker {
  readonly #options: CircuitBreakerOptions;
  readonly #clock: Clock;
  #state: CircuitState = 'closed';
  #failures = 0;
  #openedAt = 0;
  #reason = '';
  /** Settles when the probe in flight has decided. */
  #probe: { done: Promise<void>; settle: () => void } | undefined;

  constructor(options: CircuitBreakerOptions, clock: Clock) {
    this.#options = options;
    this.#clock = clock;
  }

  get state(): CircuitState {
    return this.#state;
  }

  /**
   * Before an attempt: returns when it may go (true when it is the probe), throws CIRCUIT_OPEN while the
   * circuit is open.
   */
  async enter(): Promise<boolean> {
    for (;;) {
      if (this.#state === 'closed') return false;
      if (this.#state === 'half_open') {
        await this.#probe?.done;
        continue;
      }
      const reopensAt = this.#openedAt + this.#options.cooldownMs;
      if (this.#now() < reopensAt) throw this.#openError(reopensAt);
      this.#state = 'half_open';
      let settle = () => {};
      const done = new Promise<void>((resolve) => {
        settle = resolve;
      });
      this.#probe = { done, settle };
      return true;
    }
  }

  /** The server answered (any status but a server failure): the source is up. */
  success(): void {
    this.#failures = 0;
    if (this.#state !== 'closed') {
      this.#state = 'closed';
      this.#settleProbe();
    }
  }

  /** An attempt failed in a way that says the source is down or broken (5xx, timeout, lost connection). */
  failure(reason: string): void {
    this.#failures++;
    this.#reason = reason;
    if (this.#state === 'half_open' || this.#failures >= this.#options.threshold) {
      this.#state = 'open';
      this.#openedAt = this.#now();
      this.#settleProbe();
    }
  }

  /** The probe ended without telling anything (cancelled): the next request probes instead. */
  abandon(wasProbe: boolean): void {
    if (!wasProbe || this.#state !== 'half_open') return;
    this.#state = 'open';
    this.#settleProbe();
  }

  /** CIRCUIT_OPEN for the current state, for a request that gives up because the circuit opened under it. */
  openError(): HttpError {
    return this.#openError(this.#openedAt + this.#options.cooldownMs);
  }

  #openError(reopensAt: number): HttpError {
    const { name, cooldownMs } = this.#options;
    return new HttpError(
      'CIRCUIT_OPEN',
      `circuit open for ${name}: ${this.#failures} consecutive failures, the last: ${this.#reason}; failing fast until ${new Date(reopensAt).toISOString()} (circuit_breaker.cooldown ${formatDuration(cooldownMs)})`,
      { kind: 'retry', context: { source: name, reopensAt: new Date(reopensAt).toISOString() } },
    );
  }

  #settleProbe(): void {
    this.#probe?.settle();
    this.#probe = undefined;
  }

  #now(): number {
    return this.#clock.now().getTime();
  }
}
