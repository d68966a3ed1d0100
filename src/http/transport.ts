import { Agent, request as undiciRequest } from 'undici';
import type { TimeoutConfig } from '../config/source.js';
import { formatDuration } from '../core/duration.js';
import { HttpError, RestlakeError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import { isRetryableNetworkCode } from './retry.js';

/** One request exactly as it goes on the wire. */
export interface Exchange {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string | null;
}

/** One response, read whole. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  bytes: number;
}

export interface TransportLimits {
  timeout: TimeoutConfig;
  maxResponseBytes: number;
}

/** A keep-alive connection pool for one source; the connect timeout lives here, as undici wants. */
export function createAgent(connections: number, timeout: TimeoutConfig): Agent {
  return new Agent({ connections, connect: { timeout: timeout.connect }, keepAliveTimeout: 10_000 });
}

const EXPIRED = {
  headers: (t: TimeoutConfig) => `no response within ${formatDuration(t.headers)} (timeout.headers)`,
  body: (t: TimeoutConfig) => `the response body stalled for ${formatDuration(t.body)} (timeout.body)`,
};
const TIMEOUTS: Record<string, (t: TimeoutConfig) => string> = {
  UND_ERR_CONNECT_TIMEOUT: (t) => `could not connect within ${formatDuration(t.connect)} (timeout.connect)`,
  UND_ERR_HEADERS_TIMEOUT: EXPIRED.headers,
  UND_ERR_BODY_TIMEOUT: EXPIRED.body,
};

/**
 * Sends one request and reads the whole response, within the connect / headers / body timeouts and the size
 * limit. Network failures, timeouts and oversized bodies come back as HttpError (kind `retry` when another
 * attempt can cure them); a cancelled signal as CANCELLED. Statuses are the caller's business.
 */
export async function exchange(
  agent: Agent,
  request: Exchange,
  limits: TransportLimits,
  signal?: AbortSignal,
  onHeaders?: () => void,
): Promise<RawResponse> {
  const shown = redact(request.url.toString());
  const what = `${request.method} ${shown}`;
  // Our own timers rather than undici's headersTimeout / bodyTimeout, which tick in half seconds.
  const deadline = new AbortController();
  let expired: 'headers' | 'body' | undefined;
  let timer: NodeJS.Timeout | undefined;
  const arm = (phase: 'headers' | 'body') => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      expired = phase;
      deadline.abort();
    }, limits.timeout[phase]);
  };
  arm('headers');
  try {
    const response = await undiciRequest(request.url, {
      method: request.method as 'GET',
      headers: request.headers,
      body: request.body,
      dispatcher: agent,
      headersTimeout: 0,
      bodyTimeout: 0,
      signal: signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal,
    });
    arm('body');
    onHeaders?.();
    const headers = flattenHeaders(response.headers);
    const tooLarge = (size: string) =>
      new HttpError(
        'HTTP_TOO_LARGE',
        `${what} answered ${response.statusCode} with a body of ${size}, more than max_response_bytes (${limits.maxResponseBytes} bytes)`,
        { status: response.statusCode, context: { url: shown } },
      );
    const declared = Number(headers['content-length']);
    if (declared > limits.maxResponseBytes) {
      discard(response.body);
      throw tooLarge(`${declared} bytes`);
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      arm('body');
      bytes += chunk.length;
      if (bytes > limits.maxResponseBytes) {
        discard(response.body);
        throw tooLarge('more bytes');
      }
      chunks.push(chunk);
    }
    const text =
      chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, bytes).toString('utf8');
    return { status: response.statusCode, headers, text, bytes };
  } catch (error) {
    if (error instanceof RestlakeError) throw error;
    if (signal?.aborted) throw new RestlakeError('CANCELLED', 'request cancelled', { cause: signal.reason });
    const code = expired ? undefined : networkCode(error);
    const timeout = expired
      ? EXPIRED[expired](limits.timeout)
      : code
        ? TIMEOUTS[code]?.(limits.timeout)
        : undefined;
    if (timeout)
      throw new HttpError('HTTP_TIMEOUT', `${what} failed: ${timeout}`, {
        kind: 'retry',
        context: { url: shown, code: code ?? `TIMEOUT_${expired!.toUpperCase()}` },
      });
    throw new HttpError(
      'HTTP_NETWORK',
      `${what} failed: ${redact((error as Error).message)}${code ? ` (${code})` : ''}`,
      { kind: isRetryableNetworkCode(code) ? 'retry' : 'fatal', context: { url: shown, code } },
    );
  } finally {
    clearTimeout(timer);
  }
}

/** Closes a body we will not read; the connection goes with it (undici reports that as an error event). */
function discard(body: NodeJS.ReadableStream & { destroy(): void }): void {
  body.on('error', () => {});
  body.destroy();
}

/** The errno-style code of a network failure; undici wraps some (a refused connection) in an AggregateError. */
function networkCode(error: unknown): string | undefined {
  const direct = (error as NodeJS.ErrnoException | undefined)?.code;
  if (direct && direct !== 'UND_ERR_SOCKET') return direct;
  const cause = (error as { cause?: NodeJS.ErrnoException } | undefined)?.cause;
  return cause?.code ?? direct;
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined) flat[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
