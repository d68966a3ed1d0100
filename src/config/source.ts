import { z } from 'zod';
import { authSchema } from './auth.js';
import { duration } from './primitives.js';

/** `source`: the API's base URL, auth, and HTTP behaviour (timeouts, retries, concurrency). */

export const retrySchema = z.strictObject({
  /** Attempts per request, the first included. */
  max_attempts: z.number().int().min(1).max(100).default(5),
  initial_delay: duration.default(500),
  max_delay: duration.default(30_000),
});

export const sourceSchema = z.strictObject({
  base_url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL such as https://api.example.com' }),
  auth: authSchema.default({ type: 'none' }),
  headers: z.record(z.string(), z.string()).default({}),
  /** Per-request timeout: connecting, waiting for headers, and reading the body each get this long. */
  timeout: duration.default(30_000),
  retry: retrySchema.default({ max_attempts: 5, initial_delay: 500, max_delay: 30_000 }),
  /** Requests of one source in flight at once. */
  max_concurrency: z.number().int().min(1).max(64).default(4),
});

export type SourceConfig = z.output<typeof sourceSchema>;
export type RetryConfig = z.output<typeof retrySchema>;
