import type { Clock } from '../../core/clock.js';
import { registerSecret } from '../../core/redact.js';
import type { AuthStrategy, TokenTransport } from './types.js';

export interface Token {
  value: string;
  /** Epoch ms after which the server no longer accepts it; undefined when it did not say. */
  expiresAt: number | undefined;
}

/** Renew this long before expiry at most: a request signed at the last second may still arrive too late. */
const MAX_MARGIN_MS = 60_000;

/**
 * A credential obtained at run time (an OAuth2 access token, a signed JWT, a session token), shared by every
 * request of a source. It is fetched once and renewed shortly before it expires (10 % of its lifetime, at
 * most a minute early) or when the server rejects it; concurrent callers share one fetch in flight (single
 * flight), so a burst of requests or of 401s costs one token request, not one each. Every value is registered
 * as a secret before anyone can use it.
 */
export class TokenCache {
  readonly #fetch: (via: TokenTransport) => Promise<Token>;
  readonly #clock: Clock;
  #token: (Token & { renewAt: number }) | undefined;
  #generation = 0;
  #pending: Promise<void> | undefined;

  constructor(fetch: (via: TokenTransport) => Promise<Token>, clock: Clock) {
    this.#fetch = fetch;
    this.#clock = clock;
  }

  /** A valid token and its generation, fetching one first when there is none or it is about to expire. */
  async get(via: TokenTransport): Promise<{ value: string; generation: number }> {
    if (!this.#token || this.#now() >= this.#token.renewAt) await this.#refresh(via);
    // Used even when it is due again at once (a lifetime of 0): refetching in a loop would hammer the server.
    return { value: this.#token!.value, generation: this.#generation };
  }

  /** The server rejected the token of `generation`: fetch a new one, unless that already happened. */
  async renew(generation: number, via: TokenTransport): Promise<void> {
    if (generation === this.#generation) await this.#refresh(via);
  }

  #refresh(via: TokenTransport): Promise<void> {
    this.#pending ??= (async () => {
      const fetchedAt = this.#now();
      try {
        const token = await this.#fetch(via);
        registerSecret(token.value);
        const margin =
          token.expiresAt === undefined
            ? 0
            : Math.min(MAX_MARGIN_MS, Math.max(0, token.expiresAt - fetchedAt) / 10);
        this.#token = { ...token, renewAt: (token.expiresAt ?? Number.POSITIVE_INFINITY) - margin };
        this.#generation++;
      } finally {
        this.#pending = undefined;
      }
    })();
    return this.#pending;
  }

  #now(): number {
    return this.#clock.now().getTime();
  }
}

/** A strategy that sends the cached token in a header (`Authorization: Bearer <token>` by default). */
export function tokenAuth(
  method: string,
  cache: TokenCache,
  header = 'authorization',
  prefix = 'Bearer ',
): AuthStrategy {
  const name = header.toLowerCase();
  return {
    method,
    async apply(request, via) {
      const { value, generation } = await cache.get(via);
      request.headers[name] = `${prefix}${value}`;
      return generation;
    },
    renew: (generation, via) => cache.renew(generation, via),
  };
}
