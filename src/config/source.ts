import { z } from 'zod';
import { authSchema } from './auth.js';
import { duration, scalar } from './primitives.js';

/** `source`: the API's base URL, auth, and HTTP behaviour (timeouts, retries, rate limits, concurrency). */

export const retrySchema = z.strictObject({
  /** Attempts per request, the first included. */
  max_attempts: z.number().int().min(1).max(100).default(5),
  initial_delay: duration.default(500),
  max_delay: duration.default(30_000),
  /** Time budget of one request, all attempts and waits included; a wait that would pass it fails at once. */
  max_elapsed: duration.default(300_000),
});

const DEFAULT_TIMEOUT = 30_000;

/**
 * `timeout: 30s` (connecting, waiting for the response headers, and each silence while reading the body get
 * this long) or `timeout: { connect: 5s, headers: 60s, body: 30s }`.
 */
export const timeoutSchema = z
  .union([
    duration,
    z.strictObject({
      connect: duration.default(DEFAULT_TIMEOUT),
      headers: duration.default(DEFAULT_TIMEOUT),
      body: duration.default(DEFAULT_TIMEOUT),
    }),
  ])
  .transform((value) =>
    typeof value === 'number' ? { connect: value, headers: value, body: value } : value,
  );

export const rateLimitSchema = z
  .strictObject({
    requests_per_second: z.number().positive().optional(),
    requests_per_minute: z.number().positive().optional(),
    requests_per_hour: z.number().positive().optional(),
    /**
     * A plain token bucket of this size, for APIs that document one. Without it, requests are spaced evenly
     * and no window of the limit's length ever holds more than the limit, whatever the network delay.
     */
    burst: z.number().int().min(1).max(10_000).optional(),
  })
  .superRefine((value, ctx) => {
    const given = RATE_KEYS.filter((key) => value[key] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `give exactly one of ${RATE_KEYS.join(', ')}${given.length > 1 ? ` (got ${given.join(' and ')})` : ''}`,
      });
    }
  })
  .transform((value) => {
    const [key] = RATE_KEYS.filter((k) => value[k] !== undefined);
    return { limit: value[key!]!, windowMs: WINDOW_MS[key!], burst: value.burst };
  });

const WINDOW_MS = { requests_per_second: 1_000, requests_per_minute: 60_000, requests_per_hour: 3_600_000 };
const RATE_KEYS = ['requests_per_second', 'requests_per_minute', 'requests_per_hour'] as const;

export const circuitBreakerSchema = z.strictObject({
  /** Consecutive failed attempts (5xx, timeouts, lost connections) that open the circuit. */
  failure_threshold: z.number().int().min(1).max(10_000).default(10),
  /** How long an open circuit fails requests at once before one probe request may try again. */
  cooldown: duration.default(30_000),
});

/** `10MB`, `512KB`, `1GB` or a number of bytes. */
const byteSize = z.union([z.number().int().positive(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const match = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)$/i.exec(value.trim());
  if (!match) {
    ctx.addIssue({ code: 'custom', message: `expected a size such as 512KB, 50MB or 1GB, got "${value}"` });
    return z.NEVER;
  }
  const unit = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[match[2]!.toUpperCase() as 'B'];
  return Math.round(Number(match[1]) * unit);
});

export const sourceSchema = z.strictObject({
  base_url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL such as https://api.example.com' }),
  auth: authSchema.default({ type: 'none' }),
  headers: z.record(z.string(), z.string()).default({}),
  timeout: timeoutSchema.default({
    connect: DEFAULT_TIMEOUT,
    headers: DEFAULT_TIMEOUT,
    body: DEFAULT_TIMEOUT,
  }),
  retry: retrySchema.default({
    max_attempts: 5,
    initial_delay: 500,
    max_delay: 30_000,
    max_elapsed: 300_000,
  }),
  /** Requests of one source in flight at once (shared by every load of the pipeline in this process). */
  max_concurrency: z.number().int().min(1).max(64).default(4),
  rate_limit: rateLimitSchema.optional(),
  circuit_breaker: circuitBreakerSchema.default({ failure_threshold: 10, cooldown: 30_000 }),
  /** A larger response fails the request (HTTP_TOO_LARGE) instead of exhausting memory. */
  max_response_bytes: byteSize.default(256 * 1024 ** 2),
  /** What `restlake check` calls; the first page of every resource when absent. */
  health_check: z
    .strictObject({
      path: z.string().default(''),
      method: z.enum(['GET', 'POST']).default('GET'),
      params: z.record(z.string(), scalar).default({}),
    })
    .optional(),
});

export type SourceConfig = z.output<typeof sourceSchema>;
export type RetryConfig = z.output<typeof retrySchema>;
export type TimeoutConfig = z.output<typeof timeoutSchema>;
export type RateLimitConfig = z.output<typeof rateLimitSchema>;
export type CircuitBreakerConfig = z.output<typeof circuitBreakerSchema>;
export type HealthCheckConfig = NonNullable<SourceConfig['health_check']>;
