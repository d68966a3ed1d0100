/** What goes into the HTTP client and what comes out of it. */

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
  /**
   * `text` as UTF-8, when the body was valid UTF-8: the bytes as received (decompressed), which bronze stores
   * as they are rather than encoding the text again.
   */
  encoded: Buffer | undefined;
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
  /** Attempts sent, token requests included. */
  requests: number;
  retries: number;
  /** 429 answers. */
  rateLimited: number;
  bytes: number;
  /** Time spent waiting: rate limits and retry backoff. */
  waitMs: number;
  /** The part of waitMs spent on rate limits (ours and the server's). */
  rateLimitWaitMs: number;
}
