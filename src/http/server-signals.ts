/**
 * What a server says about its own rate limit, read from response headers: `Retry-After` (RFC 9110),
 * the de-facto `X-RateLimit-Remaining` / `X-RateLimit-Reset` (GitHub, Twitter and many others), and the IETF
 * draft's `RateLimit-Remaining` / `RateLimit-Reset` and combined `RateLimit` field.
 */

export interface ServerWait {
  /** Epoch ms before which the server wants no request. */
  until: number;
  /** The header that said so, for logs and errors. */
  reason: string;
}

/** `Retry-After` as delta-seconds or an HTTP date → milliseconds to wait (undefined when absent or unparsable). */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1_000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * A reset given as a number: seconds from now (the IETF draft, many APIs), or an absolute epoch time in
 * seconds (GitHub) or milliseconds. The magnitude tells which: no window lasts 30 years.
 */
export function parseReset(value: string | undefined, now: number): number | undefined {
  if (!value || !/^\d+(\.\d+)?$/.test(value.trim())) return undefined;
  const n = Number(value.trim());
  if (n >= 1e12) return n;
  if (n >= 1e9) return n * 1_000;
  return now + n * 1_000;
}

/** When the response tells restlake to hold off, until when; undefined when it does not. */
export function serverWait(
  status: number,
  headers: Record<string, string>,
  now: number,
): ServerWait | undefined {
  const retryAfter = headers['retry-after'];
  if ((status === 429 || status === 503) && retryAfter !== undefined) {
    const ms = parseRetryAfter(retryAfter, now);
    if (ms !== undefined) return { until: now + ms, reason: `Retry-After: ${retryAfter}` };
  }
  for (const prefix of ['x-ratelimit-', 'ratelimit-']) {
    const remaining = headers[`${prefix}remaining`];
    if (remaining === undefined || Number(remaining) > 0) continue;
    const until = parseReset(headers[`${prefix}reset`], now);
    if (until !== undefined && until > now) return { until, reason: `${prefix}remaining: ${remaining}` };
  }
  const combined = headers.ratelimit;
  if (combined !== undefined) {
    // draft-07+: `"default";r=0;t=30`; drafts 03-06: `limit=100, remaining=0, reset=30`.
    const remaining = /(?:^|[;,\s])(?:r|remaining)=(\d+)/.exec(combined)?.[1];
    const reset = /(?:^|[;,\s])(?:t|reset)=(\d+)/.exec(combined)?.[1];
    if (remaining !== undefined && Number(remaining) === 0 && reset !== undefined && Number(reset) > 0)
      return { until: now + Number(reset) * 1_000, reason: `RateLimit: ${combined}` };
  }
  return undefined;
}

/** The rate-limit headers of a response, as sent (for `restlake check`). */
export function rateLimitHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => /^(x-)?rate-?limit|^retry-after$/i.test(name)),
  );
}
