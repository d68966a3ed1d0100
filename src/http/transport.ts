import { isUtf8 } from 'node:buffer';
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate, inflateRaw, type ZlibOptions } from 'node:zlib';
import { type Dispatcher, EnvHttpProxyAgent, interceptors, request as undiciRequest } from 'undici';
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
  /** The body, decompressed. */
  text: string;
  /** `text` as UTF-8: the decompressed bytes themselves, unless they were not valid UTF-8. */
  encoded: Buffer | undefined;
  /** The body's size as it crossed the network (compressed, when it was). */
  bytes: number;
}

/**
 * Asked of every API unless the pipeline sends its own `Accept-Encoding`: JSON compresses five to ten times,
 * which is that much less to wait for from a remote API. Decompressing runs on libuv's thread pool, beside
 * the main thread.
 */
const ACCEPT_ENCODING = 'gzip, deflate, br';

type Decoder = (body: Buffer, options: ZlibOptions) => Promise<Buffer>;
const inflateAny: Decoder = async (body, options) => {
  // `deflate` is zlib-wrapped by the standard, but some servers send it raw.
  try {
    return await promisify(inflate)(body, options);
  } catch {
    return promisify(inflateRaw)(body, options);
  }
};
const DECODERS: Record<string, Decoder> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  deflate: inflateAny,
  br: promisify(brotliDecompress),
};

export interface TransportLimits {
  timeout: TimeoutConfig;
  maxResponseBytes: number;
}

/** Redirects followed per request, as `requests` and browsers do (a renamed GitHub repository answers 301). */
const MAX_REDIRECTIONS = 5;

/**
 * A keep-alive connection pool for one source (the connect timeout lives here, as undici wants) that goes
 * through the proxy `HTTPS_PROXY` / `HTTP_PROXY` name, but to the hosts `NO_PROXY` lists, as curl and pip do,
 * and follows redirects (undici drops `Authorization` and cookies when a redirect leaves the origin).
 */
export function createAgent(connections: number, timeout: TimeoutConfig): Dispatcher {
  return new EnvHttpProxyAgent({
    connections,
    connect: { timeout: timeout.connect },
    keepAliveTimeout: 10_000,
  }).compose(interceptors.redirect({ maxRedirections: MAX_REDIRECTIONS }));
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
  agent: Dispatcher,
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
    const asks = Object.keys(request.headers).some((name) => name.toLowerCase() === 'accept-encoding');
    const response = await undiciRequest(request.url, {
      method: request.method as 'GET',
      headers: asks ? request.headers : { 'accept-encoding': ACCEPT_ENCODING, ...request.headers },
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
    // Copied even when it came in one chunk: that chunk is a view into the socket's read buffer (64 KB), which
    // a small page kept for bronze would keep whole.
    const body = Buffer.concat(chunks, bytes);
    const encoding = headers['content-encoding']?.trim().toLowerCase();
    // An empty body (a 204) may come labelled gzip too: there is nothing to decompress.
    const decoded =
      !encoding || encoding === 'identity' || bytes === 0
        ? body
        : await decompress(body, encoding, limits.maxResponseBytes, (message, kind) => {
            const context = { url: shown, encoding };
            return kind === 'too large'
              ? tooLarge(message)
              : new HttpError('HTTP_BAD_BODY', `${what} answered ${response.statusCode} with ${message}`, {
                  status: response.statusCode,
                  kind,
                  context,
                });
          });
    // Bytes that are not UTF-8 decode with U+FFFD in their place: then they are not `text`'s encoding.
    const text = decoded.toString('utf8');
    return {
      status: response.statusCode,
      headers,
      text,
      encoded: isUtf8(decoded) ? decoded : undefined,
      bytes,
    };
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
    // undici's words for it suggest a misuse of its API; the cause is the server's.
    const reason = /^Redirect loop/.test((error as Error).message)
      ? 'the API redirects it back to a URL it already redirected from'
      : `${redact((error as Error).message)}${code ? ` (${code})` : ''}`;
    throw new HttpError('HTTP_NETWORK', `${what} failed: ${reason}`, {
      kind: isRetryableNetworkCode(code) ? 'retry' : 'fatal',
      context: { url: shown, code },
    });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Decompresses a body, to at most `limit` bytes. `fail` makes the error: a body that does not decompress may
 * come right on another attempt, an encoding restlake did not ask for will not.
 */
async function decompress(
  body: Buffer,
  encoding: string,
  limit: number,
  fail: (message: string, kind: 'retry' | 'fatal' | 'too large') => Error,
): Promise<Buffer> {
  const decode = DECODERS[encoding];
  if (!decode) {
    throw fail(
      `Content-Encoding "${encoding}", which restlake cannot decode (it asks for ${ACCEPT_ENCODING})`,
      'fatal',
    );
  }
  try {
    return await decode(body, { maxOutputLength: limit });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw fail(`more bytes once decompressed (${encoding})`, 'too large');
    }
    throw fail(`a ${encoding} body that does not decompress: ${(error as Error).message}`, 'retry');
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
