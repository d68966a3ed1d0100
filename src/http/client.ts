import type { Dispatcher } from 'undici';
import type { SourceConfig } from '../config/source.js';
import { type Clock, systemClock } from '../core/clock.js';
import { formatDuration } from '../core/duration.js';
import { HttpError } from '../core/errors.js';
import { parseJson, stringifyJson } from '../core/json.js';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { redact } from '../core/redact.js';
import type { TokenRequest, TokenResponse, TokenTransport } from './auth/index.js';
import { backoffDelay, isRetryableStatus } from './retry.js';
import { serverWait } from './server-signals.js';
import { createSourceState, type SourceState, sharedSourceState } from './source-state.js';
import { RequestLog, type RequestRecord } from './telemetry.js';
import { createAgent, exchange, type RawResponse, type TransportLimits } from './transport.js';
import type { HttpRequest, HttpResponse, HttpStats } from './types.js';

export type { HttpRequest, HttpResponse, HttpStats } from './types.js';

export interface HttpClientOptions {
  clock?: Clock;
  logger?: Logger;
  random?: () => number;
  /**
   * Clients with the same key (a pipeline's config id) share the source's rate limit, concurrency cap,
   * circuit breaker and tokens within this process. Without one, the client has them to itself.
   */
  shareKey?: string;
  /** Request records kept per outcome before the log samples (see RequestLog). */
  logCapacity?: number;
  /** Sees every successful response (headers included), for `restlake check`. */
  onResponse?: (response: HttpResponse) => void;
}

/** One exchange: the response as received, or why none came. */
type Sent = { raw: RawResponse; shownUrl: string; latencyMs: number } | { failure: HttpError };

type Attempt =
  | { ok: true; response: HttpResponse }
  | {
      ok: false;
      error: HttpError;
      /** Credentials used, for a renewal after a 401. */
      generation: number;
      /** The server named its own wait (Retry-After...); the rate limiter observes it, no backoff on top. */
      serverWait: boolean;
      /** The failure says the source is down or broken, which counts towards opening the circuit. */
      fault: boolean;
    };

/**
 * The one way restlake talks to an API: keep-alive connections (undici), auth, a shared rate limit and
 * concurrency cap, a circuit breaker, timeouts and a size limit, and retries with backoff for failures a
 * later attempt can cure. Every attempt is counted (`stats`) and recorded (`log`).
 */
export class HttpClient {
  readonly stats: HttpStats = {
    requests: 0,
    retries: 0,
    rateLimited: 0,
    bytes: 0,
    waitMs: 0,
    rateLimitWaitMs: 0,
  };
  readonly log: RequestLog;
  readonly #source: SourceConfig;
  readonly #state: SourceState;
  readonly #agent: Dispatcher;
  readonly #limits: TransportLimits;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #random: () => number;
  readonly #onResponse: ((response: HttpResponse) => void) | undefined;

  constructor(source: SourceConfig, options: HttpClientOptions = {}) {
    this.#source = source;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#random = options.random ?? Math.random;
    this.#state =
      options.shareKey === undefined
        ? createSourceState(source, this.#clock)
        : sharedSourceState(options.shareKey, source, this.#clock);
    this.#agent = createAgent(source.max_concurrency, source.timeout);
    this.#limits = { timeout: source.timeout, maxResponseBytes: source.max_response_bytes };
    this.log = new RequestLog(options.logCapacity, this.#random);
    this.#onResponse = options.onResponse;
  }

  /** AuthMethod of the source (`bearer`, `oauth2_client_credentials`...). */
  get authMethod(): string {
    return this.#state.auth.method;
  }

  async request(request: HttpRequest, signal?: AbortSignal): Promise<HttpResponse> {
    const { max_attempts: maxAttempts, max_elapsed: maxElapsed } = this.#source.retry;
    const deadline = this.#now() + maxElapsed;
    const { breaker, auth, slots } = this.#state;
    let renewed = false;
    let backoffMs = 0;
    for (let attempt = 1; ; attempt++) {
      const probe = await breaker.enter();
      let result: Attempt;
      try {
        result = await slots.run(() => this.#attempt(request, attempt, backoffMs, deadline, signal));
      } catch (error) {
        breaker.abandon(probe);
        throw error;
      }
      if (result.ok) {
        breaker.success();
        this.#onResponse?.(result.response);
        return result.response;
      }
      const { error } = result;
      if (result.fault) breaker.failure(error.message);
      else breaker.success();
      if (error.status === 401 && !renewed && auth.renew) {
        // A 401 gets exactly one credential renewal and one more try, which does not use up an attempt.
        renewed = true;
        await auth.renew(result.generation, this.#via(signal));
        backoffMs = 0;
        continue;
      }
      if (error.kind !== 'retry') throw error;
      // This failure opened the circuit: say so, whether or not attempts were left.
      if (breaker.state === 'open') throw breaker.openError();
      if (attempt >= maxAttempts + (renewed ? 1 : 0)) throw error;
      const delay = result.serverWait ? 0 : this.#backoff(attempt);
      if (this.#now() + delay > deadline) throw this.#outOfTime(error, attempt);
      this.stats.retries++;
      this.stats.waitMs += delay;
      this.#logger.warn(
        { url: error.context.url, status: error.status, attempt, waitMs: delay },
        `request failed, retrying: ${error.message}`,
      );
      if (delay > 0) await this.#clock.sleep(delay, signal);
      backoffMs = delay;
    }
  }

  async #attempt(
    request: HttpRequest,
    attempt: number,
    backoffMs: number,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<Attempt> {
    const outgoing: { headers: Record<string, string>; query: Record<string, string> } = {
      headers: {
        accept: 'application/json',
        ...lowerKeys(this.#source.headers),
        ...lowerKeys(request.headers ?? {}),
      },
      query: { ...request.query },
    };
    // Credentials before the rate limit: a token fetched now must not squeeze two requests into one slot.
    const generation = await this.#state.auth.apply(outgoing, this.#via(signal));
    const permit = await this.#state.limiter.acquire(deadline, signal);
    const waitMs = permit.waitedMs;
    this.stats.waitMs += waitMs;
    this.stats.rateLimitWaitMs += waitMs;
    const url = buildUrl(this.#source.base_url, request.path, outgoing.query);
    let body: string | null = null;
    if (request.body !== undefined) {
      body = stringifyJson(request.body);
      outgoing.headers['content-type'] ??= 'application/json';
    }
    const sent = { method: request.method, url, headers: outgoing.headers, body };
    const record = { method: request.method, attempt, waitMs, backoffMs, auth: false };
    let result: Sent;
    try {
      // The server has counted the request by the time its headers arrive; the body may take a while longer.
      result = await this.#send(sent, record, signal, permit.answered);
    } finally {
      permit.answered();
    }
    if ('failure' in result)
      return {
        ok: false,
        error: result.failure,
        generation,
        serverWait: false,
        fault: result.failure.code !== 'HTTP_TOO_LARGE',
      };
    const { raw, shownUrl, latencyMs } = result;
    const { status } = raw;
    if (status === 429) this.stats.rateLimited++;
    const wait = serverWait(status, raw.headers, this.#now());
    if (wait) this.#state.limiter.pauseUntil(wait.until, wait.reason);
    if (status < 200 || status >= 300) {
      const retryable = isRetryableStatus(status);
      return {
        ok: false,
        generation,
        serverWait: wait !== undefined,
        fault: status >= 500,
        error: new HttpError(
          status === 401 || status === 403 ? 'AUTH_FAILED' : 'HTTP_STATUS',
          `${request.method} ${shownUrl} answered ${status}${describeBody(raw.text)}`,
          {
            status,
            kind: retryable ? 'retry' : 'fatal',
            context: { url: shownUrl, method: request.method, attempt, status },
          },
        ),
      };
    }
    let parsed: unknown;
    try {
      // 204 No Content is an empty page; an empty 200 is a truncated answer, which must not end the stream.
      parsed = status === 204 ? null : parseJson(raw.text);
    } catch {
      return {
        ok: false,
        generation,
        serverWait: false,
        fault: true,
        error: new HttpError(
          'HTTP_BAD_BODY',
          `${request.method} ${shownUrl} answered ${status} with ${raw.text.length === 0 ? 'an empty body' : `a body that is not JSON${describeBody(raw.text)}`}`,
          { status, kind: 'retry', context: { url: shownUrl, method: request.method, attempt, status } },
        ),
      };
    }
    return {
      ok: true,
      response: {
        status,
        headers: raw.headers,
        text: raw.text,
        encoded: raw.encoded,
        body: parsed,
        url: shownUrl,
        bytes: raw.bytes,
        attempt,
        latencyMs,
      },
    };
  }

  /** One exchange, counted and recorded whatever its outcome. */
  async #send(
    sent: { method: string; url: URL; headers: Record<string, string>; body: string | null },
    record: Pick<RequestRecord, 'method' | 'attempt' | 'waitMs' | 'backoffMs' | 'auth'>,
    signal: AbortSignal | undefined,
    onHeaders?: () => void,
  ): Promise<Sent> {
    const shownUrl = redact(sent.url.toString());
    const path = redact(`${sent.url.pathname}${sent.url.search}`);
    const at = this.#clock.now();
    const started = performance.now();
    this.stats.requests++;
    try {
      const raw = await exchange(this.#agent, sent, this.#limits, signal, onHeaders);
      const latencyMs = performance.now() - started;
      this.stats.bytes += raw.bytes;
      this.log.record({
        ...record,
        at,
        path,
        status: raw.status,
        error: undefined,
        latencyMs,
        bytes: raw.bytes,
      });
      return { raw, shownUrl, latencyMs };
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      this.log.record({
        ...record,
        at,
        path,
        status: error.status,
        error: error.code,
        latencyMs: performance.now() - started,
        bytes: 0,
      });
      return { failure: error };
    }
  }

  /** The transport auth strategies use for token and login requests (see TokenTransport). */
  #via(signal: AbortSignal | undefined): TokenTransport {
    return (request) => this.#tokenRequest(request, signal);
  }

  async #tokenRequest(request: TokenRequest, signal: AbortSignal | undefined): Promise<TokenResponse> {
    const { max_attempts: maxAttempts, max_elapsed: maxElapsed } = this.#source.retry;
    const deadline = this.#now() + maxElapsed;
    const url = buildUrl(this.#source.base_url, request.url);
    let backoffMs = 0;
    for (let attempt = 1; ; attempt++) {
      const sent = { method: request.method, url, headers: { ...request.headers }, body: request.body };
      const record = { method: request.method, attempt, waitMs: 0, backoffMs, auth: true };
      const result = await this.#send(sent, record, signal);
      let error: HttpError;
      if ('failure' in result) error = result.failure;
      else if (!isRetryableStatus(result.raw.status)) {
        const { raw, shownUrl } = result;
        return { status: raw.status, url: shownUrl, body: parseOrUndefined(raw.text), text: raw.text };
      } else {
        error = new HttpError(
          'HTTP_STATUS',
          `${request.method} ${result.shownUrl} answered ${result.raw.status}${describeBody(result.raw.text)}`,
          { status: result.raw.status, kind: 'retry', context: { url: result.shownUrl } },
        );
      }
      if (error.kind !== 'retry' || attempt >= maxAttempts) throw error;
      backoffMs = this.#backoff(attempt);
      if (this.#now() + backoffMs > deadline) throw this.#outOfTime(error, attempt);
      this.stats.retries++;
      this.stats.waitMs += backoffMs;
      await this.#clock.sleep(backoffMs, signal);
    }
  }

  #backoff(attempt: number): number {
    const { initial_delay: initialDelayMs, max_delay: maxDelayMs } = this.#source.retry;
    return backoffDelay(attempt, { initialDelayMs, maxDelayMs }, this.#random);
  }

  #outOfTime(error: HttpError, attempts: number): HttpError {
    return new HttpError(
      error.code,
      `${error.message} (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}: another would pass retry.max_elapsed ${formatDuration(this.#source.retry.max_elapsed)})`,
      { status: error.status, kind: error.kind, context: error.context, cause: error.cause },
    );
  }

  #now(): number {
    return this.#clock.now().getTime();
  }

  /** The source's base URL, to which request paths are joined. */
  get baseUrl(): string {
    return this.#source.base_url;
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

/** `https://api.x.com/v1` + `/customers` → `https://api.x.com/v1/customers` (not `/customers` as URL() would). */
export function buildUrl(baseUrl: string, path: string, query: Record<string, string> = {}): URL {
  const url = /^https?:\/\//i.test(path)
    ? new URL(path)
    : new URL(`${baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url;
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The start of an error body, which usually says what went wrong (redacted: APIs echo credentials). */
function describeBody(text: string): string {
  const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return snippet ? `: ${redact(snippet)}` : '';
}
