import { Agent, request as undiciRequest } from 'undici';
import type { SourceConfig } from '../config/schema.js';
import { type Clock, systemClock } from '../core/clock.js';
import { HttpError, RestlakeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { redact } from '../core/redact.js';
import { Semaphore } from '../core/semaphore.js';
import { type AuthStrategy, createAuth } from './auth/index.js';
import { backoffDelay, isRetryableNetworkCode, isRetryableStatus, parseRetryAfter } from './retry.js';

export interface HttpRequest {
  method: 'GET' | 'POST';
  /** A path joined to the source's base URL, or an absolute URL (next-page links). */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** The raw body as received, for bronze. */
  text: string;
  /** The parsed JSON body. */
  body: unknown;
  /** The request URL with credentials masked. */
  url: string;
  bytes: number;
  /** 1 for the first attempt. */
  attempt: number;
  latencyMs: number;
}

/** Counters a load reports in its audit row. */
export interface HttpStats {
  requests: number;
  retries: number;
  rateLimited: number;
  bytes: number;
  waitMs: number;
}

export interface HttpClientOptions {
  clock?: Clock;
  logger?: Logger;
  random?: () => number;
}

type Attempt =
  | { ok: true; response: HttpResponse }
  | { ok: false; error: HttpError; retryAfterMs?: number | undefined; unauthorized?: boolean };

/**
 * The one way restlake talks to an API: keep-alive connections (undici), auth, a cap on concurrent
 * requests, timeouts, and retries with backoff for failures a later attempt can cure.
 */
export class HttpClient {
  readonly stats: HttpStats = { requests: 0, retries: 0, rateLimited: 0, bytes: 0, waitMs: 0 };
  readonly auth: AuthStrategy;
  readonly #source: SourceConfig;
  readonly #agent: Agent;
  readonly #limit: Semaphore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #random: () => number;

  constructor(source: SourceConfig, options: HttpClientOptions = {}) {
    this.#source = source;
    this.auth = createAuth(source.auth);
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#random = options.random ?? Math.random;
    this.#limit = new Semaphore(source.max_concurrency);
    this.#agent = new Agent({
      connections: source.max_concurrency,
      connect: { timeout: source.timeout },
      keepAliveTimeout: 10_000,
    });
  }

  async request(request: HttpRequest, signal?: AbortSignal): Promise<HttpResponse> {
    const {
      max_attempts: maxAttempts,
      initial_delay: initialDelayMs,
      max_delay: maxDelayMs,
    } = this.#source.retry;
    let refreshed = false;
    let last: HttpError | undefined;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const result = await this.#limit.run(() => this.#attempt(request, attempt, signal));
      if (result.ok) return result.response;
      last = result.error;
      if (result.unauthorized && !refreshed && this.auth.refresh && (await this.auth.refresh())) {
        // A 401 gets exactly one credential refresh and one more try; it does not use up an attempt.
        refreshed = true;
        attempt--;
        continue;
      }
      if (result.error.kind !== 'retry' || attempt === maxAttempts) break;
      const waitMs = Math.max(
        result.retryAfterMs ?? 0,
        backoffDelay(attempt, { initialDelayMs, maxDelayMs }, this.#random),
      );
      this.stats.retries++;
      this.stats.waitMs += waitMs;
      this.#logger.warn(
        { url: result.error.context.url, status: result.error.status, attempt, waitMs },
        `request failed, retrying: ${result.error.message}`,
      );
      await this.#clock.sleep(waitMs, signal);
    }
    throw last ?? new RestlakeError('INTERNAL', 'request made no attempt');
  }

  async #attempt(request: HttpRequest, attempt: number, signal?: AbortSignal): Promise<Attempt> {
    const outgoing: { headers: Record<string, string>; query: Record<string, string> } = {
      headers: {
        accept: 'application/json',
        ...lowerKeys(this.#source.headers),
        ...lowerKeys(request.headers ?? {}),
      },
      query: { ...request.query },
    };
    await this.auth.apply(outgoing);
    const url = buildUrl(this.#source.base_url, request.path, outgoing.query);
    const shownUrl = redact(url.toString());
    let body: string | null = null;
    if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      outgoing.headers['content-type'] ??= 'application/json';
    }
    const started = performance.now();
    this.stats.requests++;
    const context = { url: shownUrl, method: request.method, attempt };
    // undici's own header/body timeouts are coarse below a second; this deadline covers the whole exchange.
    const deadline = AbortSignal.timeout(this.#source.timeout);
    try {
      const response = await undiciRequest(url, {
        method: request.method,
        headers: outgoing.headers,
        body,
        dispatcher: this.#agent,
        headersTimeout: this.#source.timeout,
        bodyTimeout: this.#source.timeout,
        signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
      });
      const text = await response.body.text();
      const bytes = Buffer.byteLength(text);
      this.stats.bytes += bytes;
      const headers = flattenHeaders(response.headers);
      const status = response.statusCode;
      if (status === 429) this.stats.rateLimited++;
      if (status < 200 || status >= 300) {
        const retryable = isRetryableStatus(status);
        return {
          ok: false,
          unauthorized: status === 401,
          retryAfterMs: parseRetryAfter(headers['retry-after'], this.#clock.now()),
          error: new HttpError(
            status === 401 || status === 403 ? 'AUTH_FAILED' : 'HTTP_STATUS',
            `${request.method} ${shownUrl} answered ${status}${describeBody(text)}`,
            { status, kind: retryable ? 'retry' : 'fatal', context: { ...context, status } },
          ),
        };
      }
      let parsed: unknown;
      try {
        // 204 No Content is an empty page; an empty 200 is a truncated answer, which must not end the stream.
        parsed = status === 204 ? null : JSON.parse(text);
      } catch {
        return {
          ok: false,
          error: new HttpError(
            'HTTP_BAD_BODY',
            `${request.method} ${shownUrl} answered ${status} with ${text.length === 0 ? 'an empty body' : `a body that is not JSON${describeBody(text)}`}`,
            { status, kind: 'retry', context: { ...context, status } },
          ),
        };
      }
      return {
        ok: true,
        response: {
          status,
          headers,
          text,
          body: parsed,
          url: shownUrl,
          bytes,
          attempt,
          latencyMs: performance.now() - started,
        },
      };
    } catch (error) {
      if (signal?.aborted)
        throw new RestlakeError('CANCELLED', 'request cancelled', { cause: signal.reason });
      const code = deadline.aborted ? 'TIMEOUT' : (error as NodeJS.ErrnoException).code;
      const timeout = code?.includes('TIMEOUT') ?? false;
      return {
        ok: false,
        error: new HttpError(
          timeout ? 'HTTP_TIMEOUT' : 'HTTP_NETWORK',
          `${request.method} ${shownUrl} failed: ${timeout ? `timed out after ${this.#source.timeout} ms` : redact((error as Error).message)}${code ? ` (${code})` : ''}`,
          {
            kind: timeout || isRetryableNetworkCode(code) ? 'retry' : 'fatal',
            context: { ...context, code },
          },
        ),
      };
    }
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

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined) flat[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/** The start of an error body, which usually says what went wrong (redacted: APIs echo credentials). */
function describeBody(text: string): string {
  const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return snippet ? `: ${redact(snippet)}` : '';
}
