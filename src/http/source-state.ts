import { createHash } from 'node:crypto';
import type { SourceConfig } from '../config/source.js';
import type { Clock } from '../core/clock.js';
import { Semaphore } from '../core/semaphore.js';
import { type AuthStrategy, createAuth } from './auth/index.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { RateLimiter } from './rate-limiter.js';

/** What every request to one source shares, whichever load sends it. */
export interface SourceState {
  limiter: RateLimiter;
  /** The max_concurrency cap. */
  slots: Semaphore;
  breaker: CircuitBreaker;
  /** Holds the source's tokens: one OAuth2 token for all loads, not one each. */
  auth: AuthStrategy;
}

export function createSourceState(source: SourceConfig, clock: Clock): SourceState {
  return {
    limiter: new RateLimiter(source.rate_limit, clock),
    slots: new Semaphore(source.max_concurrency),
    breaker: new CircuitBreaker(
      {
        threshold: source.circuit_breaker.failure_threshold,
        cooldownMs: source.circuit_breaker.cooldown,
        name: new URL(source.base_url).origin,
      },
      clock,
    ),
    auth: createAuth(source.auth, clock),
  };
}

// Per clock, so that tests with their own clocks never share a limiter with each other or with real time.
const registry = new WeakMap<Clock, Map<string, { fingerprint: string; state: SourceState }>>();

/**
 * The state of a source shared by every HttpClient of this process that names the same key (the pipeline's
 * config id): concurrent loads of one pipeline then share one rate limit, one concurrency cap, one circuit
 * and one token. A changed source (the file was edited) starts afresh. Kept for the life of the process so
 * that an open circuit or a server's pause outlasts the load that caused it; one small entry per config id.
 */
export function sharedSourceState(key: string, source: SourceConfig, clock: Clock): SourceState {
  let states = registry.get(clock);
  if (!states) {
    states = new Map();
    registry.set(clock, states);
  }
  const fingerprint = createHash('sha256').update(JSON.stringify(source)).digest('hex');
  const entry = states.get(key);
  if (entry?.fingerprint === fingerprint) return entry.state;
  const state = createSourceState(source, clock);
  states.set(key, { fingerprint, state });
  return state;
}
