import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, createServer as createNetServer, type Socket } from 'node:net';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, test } from 'vitest';
import { sourceSchema } from '../../src/config/schema.js';
import { HttpClient } from '../../src/http/client.js';
import { backoffDelay } from '../../src/http/retry.js';
import { parseRetryAfter } from '../../src/http/server-signals.js';
import { steppingClock } from '../support/clocks.js';
import { type Reply, type ScriptedServer, scriptedServer } from '../support/scripted-server.js';

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function clientFor(replies: Reply[] | ((n: number) => Reply), source: Record<string, unknown> = {}) {
  server = await scriptedServer(({ n }) =>
    typeof replies === 'function' ? replies(n) : (replies[n] ?? replies.at(-1)!),
  );
  const clock = steppingClock();
  const client = new HttpClient(
    sourceSchema.parse({
      base_url: `${server.url}/v1`,
      retry: { max_attempts: 4, initial_delay: 100, max_delay: 1000 },
      ...source,
    }),
    {
      clock,
      random: () => 1,
    },
  );
  return { client, clock, server };
}

describe('retries', () => {
  test('5xx, a dropped connection and a 429 are retried with exponential backoff, then the page arrives', async () => {
    const { client, clock, server } = await clientFor([
      { status: 503 },
      { destroy: true },
      { status: 429, headers: { 'retry-after': '2' } },
      { body: { ok: 1 } },
    ]);
    const response = await client.request({ method: 'GET', path: '/things' });
    expect(response).toMatchObject({ status: 200, body: { ok: 1 }, attempt: 4 });
    expect(server.requests.map((r) => r.path)).toEqual([
      '/v1/things',
      '/v1/things',
      '/v1/things',
      '/v1/things',
    ]);
    // 100 · 2^(attempt-1) capped at 1000 (random() = 1 takes the bound); Retry-After: 2 s outranks 400 ms.
    expect(clock.sleeps).toEqual([100, 200, 2000]);
    expect(client.stats).toMatchObject({ requests: 4, retries: 3, rateLimited: 1 });
    await client.close();
  });

  test.each([400, 404, 422])('%i is not retried', async (status) => {
    const { client, server } = await clientFor([{ status, body: { error: 'nope' } }]);
    await expect(client.request({ method: 'GET', path: '/x' })).rejects.toMatchObject({
      code: 'HTTP_STATUS',
      status,
      kind: 'fatal',
    });
    expect(server.requests).toHaveLength(1);
    await client.close();
  });

  test('401 and 403 fail as authentication errors without retrying', async () => {
    const { client, server } = await clientFor([{ status: 401 }]);
    await expect(client.request({ method: 'GET', path: '/x' })).rejects.toMatchObject({
      code: 'AUTH_FAILED',
      status: 401,
    });
    expect(server.requests).toHaveLength(1);
    await client.close();
  });

  test('a 200 whose body is not JSON is retried, then fails with a clear message', async () => {
    const { client, server } = await clientFor([{ raw: '<html>maintenance</html>' }]);
    await expect(client.request({ method: 'GET', path: '/x' })).rejects.toThrow(
      /answered 200 with a body that is not JSON: <html>maintenance<\/html>/,
    );
    expect(server.requests).toHaveLength(4);
    await client.close();
  });

  test('a body led by a byte order mark is read as the JSON after it', async () => {
    const { client } = await clientFor([{ raw: '\uFEFF{"id":1234567890123456789,"ok":1}' }]);
    const response = await client.request({ method: 'GET', path: '/x' });
    expect(response).toMatchObject({ status: 200, body: { id: 1234567890123456789n, ok: 1 }, attempt: 1 });
    await client.close();
  });

  test('a body of JSON Lines is read as the array of its records', async () => {
    const { client } = await clientFor([{ raw: '{"id":1,"name":"a"}\n{"id":2,"name":"b"}\n' }]);
    const response = await client.request({ method: 'GET', path: '/export' });
    expect(response.body).toEqual([
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
    ]);
    await client.close();
  });

  test('a 503 burst is retried until the API recovers; a 400 in between is not', async () => {
    const { client, server } = await clientFor((n) => (n < 3 ? { status: 503 } : { body: { n } }), {
      retry: { max_attempts: 5, initial_delay: 10 },
    });
    expect((await client.request({ method: 'GET', path: '/x' })).body).toEqual({ n: 3 });
    expect(client.stats).toMatchObject({ requests: 4, retries: 3 });
    expect(client.log.records().map((r) => [r.status, r.attempt])).toEqual([
      [503, 1],
      [503, 2],
      [503, 3],
      [200, 4],
    ]);
    expect(server.requests).toHaveLength(4);
    await client.close();
  });

  test('the whole request has a time budget: no backoff may pass retry.max_elapsed', async () => {
    const { client, clock, server } = await clientFor([{ status: 503 }], {
      retry: { max_attempts: 10, initial_delay: '1s', max_delay: '1m', max_elapsed: '5s' },
    });
    await expect(client.request({ method: 'GET', path: '/x' })).rejects.toThrow(
      /answered 503.* \(gave up after 3 attempts: another would pass retry\.max_elapsed 5\.0s\)/,
    );
    // Waits of 1 s and 2 s fit in 5 s; the next one (4 s) would not.
    expect(clock.sleeps).toEqual([1000, 2000]);
    expect(server.requests).toHaveLength(3);
    await client.close();
  });
});

describe('timeouts and limits', () => {
  test('no response headers within timeout.headers: a timeout, retried, then failed naming the setting', async () => {
    const { client, server } = await clientFor([{ delayMs: 500, body: {} }], {
      timeout: { headers: 50 },
      retry: { max_attempts: 2, initial_delay: 1 },
    });
    await expect(client.request({ method: 'GET', path: '/slow' })).rejects.toMatchObject({
      code: 'HTTP_TIMEOUT',
      message: expect.stringMatching(/GET .*\/v1\/slow failed: no response within 50ms \(timeout\.headers\)/),
    });
    expect(server.requests).toHaveLength(2);
    await client.close();
  });

  test('a body that stalls longer than timeout.body times out', async () => {
    const stalling = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[1,2,');
    });
    const client = new HttpClient(
      sourceSchema.parse({ base_url: stalling.url, timeout: { body: 100 }, retry: { max_attempts: 1 } }),
    );
    await expect(client.request({ method: 'GET', path: '/x' })).rejects.toMatchObject({
      code: 'HTTP_TIMEOUT',
      message: expect.stringMatching(/the response body stalled for 100ms \(timeout\.body\)/),
    });
    await client.close();
    await stalling.close();
  });

  test('a TLS handshake that never completes hits timeout.connect', async () => {
    // A TCP server that accepts and says nothing: the connection opens, the TLS handshake never ends.
    const sockets: Socket[] = [];
    const silent = createNetServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const client = new HttpClient(
      sourceSchema.parse({
        base_url: `https://127.0.0.1:${port}`,
        timeout: { connect: 100 },
        retry: { max_attempts: 1 },
      }),
    );
    await expect(client.request({ method: 'GET', path: '/x' })).rejects.toMatchObject({
      code: 'HTTP_TIMEOUT',
      message: expect.stringMatching(/could not connect within 100ms \(timeout\.connect\)/),
    });
    await client.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  test.each([
    ['declared by Content-Length', false],
    ['streamed without a length', true],
  ])('a body larger than max_response_bytes fails without retrying (%s)', async (_label, chunked) => {
    const big = await rawServer((_req, res) => {
      const body = JSON.stringify({ data: 'x'.repeat(5_000) });
      res.writeHead(
        200,
        chunked ? { 'content-type': 'application/json' } : { 'content-length': String(body.length) },
      );
      if (chunked) for (let i = 0; i < body.length; i += 1_000) res.write(body.slice(i, i + 1_000));
      res.end(chunked ? '' : body);
    });
    const client = new HttpClient(
      sourceSchema.parse({
        base_url: big.url,
        max_response_bytes: '2KB',
        retry: { max_attempts: 3, initial_delay: 1 },
      }),
    );
    await expect(client.request({ method: 'GET', path: '/x' })).rejects.toMatchObject({
      code: 'HTTP_TOO_LARGE',
      kind: 'fatal',
      message: expect.stringMatching(
        /answered 200 with a body of .*, more than max_response_bytes \(2048 bytes\)/,
      ),
    });
    expect(big.requests()).toBe(1);
    await client.close();
    await big.close();
  });

  test('a refused connection is a network error naming the URL', async () => {
    const client = new HttpClient(
      sourceSchema.parse({ base_url: 'http://127.0.0.1:1', retry: { max_attempts: 1 } }),
    );
    await expect(client.request({ method: 'GET', path: '/x' })).rejects.toThrow(
      /GET http:\/\/127\.0\.0\.1:1\/x failed: .*ECONNREFUSED/,
    );
    await client.close();
  });
});

describe('proxies', () => {
  test('HTTP_PROXY routes requests through the proxy (HTTPS_PROXY those to https), NO_PROXY exempts hosts', async () => {
    const tunnels: string[] = [];
    const proxy = createServer();
    proxy.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      tunnels.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      const upstream = connect(Number(port), host!, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    server = await scriptedServer(() => ({ body: { ok: 1 } }));
    const target = new URL(server.url);
    const saved = { http: process.env.HTTP_PROXY, no: process.env.NO_PROXY };
    try {
      process.env.HTTP_PROXY = proxyUrl;
      delete process.env.NO_PROXY;
      const proxied = new HttpClient(sourceSchema.parse({ base_url: server.url }));
      expect((await proxied.request({ method: 'GET', path: '/x' })).body).toEqual({ ok: 1 });
      await proxied.close();
      expect(tunnels).toEqual([target.host]);
      process.env.NO_PROXY = target.hostname;
      const direct = new HttpClient(sourceSchema.parse({ base_url: server.url }));
      expect((await direct.request({ method: 'GET', path: '/y' })).body).toEqual({ ok: 1 });
      await direct.close();
      expect(tunnels).toHaveLength(1);
      expect(server.requests.map((r) => r.path)).toEqual(['/x', '/y']);
    } finally {
      for (const [name, value] of [
        ['HTTP_PROXY', saved.http],
        ['NO_PROXY', saved.no],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});

describe('redirects', () => {
  test('a redirect is followed; one to another origin goes without the credentials; a loop fails clearly', async () => {
    const echo = (req: { headers: IncomingMessage['headers']; path: string }): Reply => ({
      body: { authorization: req.headers.authorization ?? null, path: req.path },
    });
    const other = await scriptedServer(echo);
    server = await scriptedServer((req) => {
      if (req.path === '/v1/renamed') return { status: 301, headers: { location: '/v1/current' } };
      if (req.path === '/v1/elsewhere') return { status: 307, headers: { location: `${other.url}/there` } };
      if (req.path === '/v1/loop') return { status: 302, headers: { location: '/v1/loop' } };
      return echo(req);
    });
    const client = new HttpClient(
      sourceSchema.parse({
        base_url: `${server.url}/v1`,
        auth: { type: 'bearer', token: 'tok-redirect-1' },
        retry: { max_attempts: 2, initial_delay: 1 },
      }),
    );
    expect((await client.request({ method: 'GET', path: '/renamed' })).body).toEqual({
      authorization: 'Bearer tok-redirect-1',
      path: '/v1/current',
    });
    expect((await client.request({ method: 'GET', path: '/elsewhere' })).body).toEqual({
      authorization: null,
      path: '/there',
    });
    await expect(client.request({ method: 'GET', path: '/loop' })).rejects.toMatchObject({
      code: 'HTTP_NETWORK',
      kind: 'fatal',
      message: expect.stringMatching(
        /GET http:\/\/127\.0\.0\.1:\d+\/v1\/loop failed: the API redirects it back to a URL it already redirected from/,
      ),
    });
    await client.close();
    await other.close();
  });
});

describe('compression', () => {
  const page = JSON.stringify({
    data: Array.from({ length: 200 }, (_, id) => ({ id, name: `record ${id}` })),
  });
  const ENCODERS: Record<string, (text: string) => Buffer> = {
    gzip: (text) => gzipSync(text),
    deflate: (text) => deflateSync(text),
    'deflate (raw)': (text) => deflateRawSync(text),
    br: (text) => brotliCompressSync(text),
  };

  /** A server answering every request with `page`, encoded as `encoding` says (when given). */
  async function compressing(encoding: (req: IncomingMessage) => string | undefined, body = page) {
    const seen: (string | undefined)[] = [];
    const raw = await rawServer((req, res) => {
      seen.push(req.headers['accept-encoding']);
      const name = encoding(req);
      if (!name) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(body);
        return;
      }
      const wire =
        name === 'zstd' || name === 'broken' ? Buffer.from('not compressed') : ENCODERS[name]!(body);
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-encoding': name === 'broken' ? 'gzip' : name.split(' ')[0]!,
      });
      res.end(wire);
    });
    return { ...raw, seen };
  }

  test.each(Object.keys(ENCODERS))(
    'a %s body is asked for, decompressed and counted as sent',
    async (name) => {
      const api = await compressing(() => name);
      const client = new HttpClient(sourceSchema.parse({ base_url: api.url }));
      const response = await client.request({ method: 'GET', path: '/x' });
      expect(api.seen).toEqual(['gzip, deflate, br']);
      expect(response.body).toEqual(JSON.parse(page));
      expect(response.bytes).toBe(ENCODERS[name]!(page).length);
      expect(response.bytes).toBeLessThan(page.length / 3);
      await client.close();
      await api.close();
    },
  );

  test('an empty 204 labelled gzip is an empty page, not a broken body', async () => {
    const api = await rawServer((_req, res) => {
      res.writeHead(204, { 'content-encoding': 'gzip' });
      res.end();
    });
    const client = new HttpClient(sourceSchema.parse({ base_url: api.url, retry: { max_attempts: 2 } }));
    expect(await client.request({ method: 'GET', path: '/x' })).toMatchObject({ status: 204, body: null });
    expect(api.requests()).toBe(1);
    await client.close();
    await api.close();
  });

  test("the pipeline's own Accept-Encoding is sent instead", async () => {
    const api = await compressing((req) =>
      req.headers['accept-encoding']?.includes('gzip') ? 'gzip' : undefined,
    );
    const client = new HttpClient(
      sourceSchema.parse({ base_url: api.url, headers: { 'Accept-Encoding': 'identity' } }),
    );
    const response = await client.request({ method: 'GET', path: '/x' });
    expect(api.seen).toEqual(['identity']);
    expect(response).toMatchObject({ body: JSON.parse(page), bytes: page.length });
    await client.close();
    await api.close();
  });

  test('a body that decompresses beyond max_response_bytes fails without retrying', async () => {
    const bomb = JSON.stringify({ data: '0'.repeat(1_000_000) });
    const api = await compressing(() => 'gzip', bomb);
    const client = new HttpClient(
      sourceSchema.parse({ base_url: api.url, max_response_bytes: '64KB', retry: { max_attempts: 3 } }),
    );
    expect(gzipSync(bomb).length).toBeLessThan(64 * 1024);
    await expect(client.request({ method: 'GET', path: '/x' })).rejects.toMatchObject({
      code: 'HTTP_TOO_LARGE',
      kind: 'fatal',
      message: expect.stringMatching(/more bytes once decompressed \(gzip\), more than max_response_bytes/),
    });
    expect(api.requests()).toBe(1);
    await client.close();
    await api.close();
  });

  test.each([
    [
      'a body that does not decompress is retried, then fails',
      'broken',
      3,
      /a gzip body that does not decompress/,
    ],
    [
      'an encoding restlake did not ask for fails at once',
      'zstd',
      1,
      /Content-Encoding "zstd", which restlake cannot decode/,
    ],
  ])('%s', async (_label, encoding, requests, message) => {
    const api = await compressing(() => encoding);
    const client = new HttpClient(
      sourceSchema.parse({ base_url: api.url, retry: { max_attempts: 3, initial_delay: 1 } }),
    );
    await expect(client.request({ method: 'GET', path: '/x' })).rejects.toMatchObject({
      code: 'HTTP_BAD_BODY',
      message: expect.stringMatching(message),
    });
    expect(api.requests()).toBe(requests);
    await client.close();
    await api.close();
  });
});

describe('auth', () => {
  test.each([
    [
      { type: 'bearer', token: 'tok-123456' },
      (r: { headers: Record<string, unknown>; query: URLSearchParams }) =>
        r.headers.authorization === 'Bearer tok-123456',
    ],
    [
      { type: 'api_key', key: 'key-123456', name: 'X-Api-Key' },
      (r: { headers: Record<string, unknown> }) => r.headers['x-api-key'] === 'key-123456',
    ],
    [
      { type: 'api_key', key: 'key-123456', name: 'apikey', in: 'query' },
      (r: { query: URLSearchParams }) => r.query.get('apikey') === 'key-123456',
    ],
    [
      { type: 'basic', username: 'ann', password: 'pw-123456' },
      (r: { headers: Record<string, unknown> }) =>
        r.headers.authorization === `Basic ${Buffer.from('ann:pw-123456').toString('base64')}`,
    ],
  ])('%j', async (auth, check) => {
    const { client, server } = await clientFor([{ body: [] }], { auth, headers: { 'X-Custom': 'yes' } });
    const response = await client.request({ method: 'GET', path: '/x', query: { a: '1' } });
    expect(check(server.requests[0] as never)).toBe(true);
    expect(server.requests[0]?.headers['x-custom']).toBe('yes');
    expect(response.url).not.toMatch(/123456/);
    await client.close();
  });

  test('POST sends a JSON body', async () => {
    const { client, server } = await clientFor([{ body: [] }]);
    await client.request({ method: 'POST', path: '/search', body: { q: 'x' } });
    expect(server.requests[0]).toMatchObject({ method: 'POST', body: '{"q":"x"}' });
    expect(server.requests[0]?.headers['content-type']).toBe('application/json');
    await client.close();
  });
});

describe('backoff helpers', () => {
  test('full jitter stays within the exponential bound and the cap', () => {
    for (let attempt = 1; attempt < 12; attempt++) {
      const bound = Math.min(30_000, 500 * 2 ** (attempt - 1));
      expect(
        backoffDelay(attempt, { initialDelayMs: 500, maxDelayMs: 30_000 }, () => 0.999_999),
      ).toBeLessThanOrEqual(bound);
      expect(backoffDelay(attempt, { initialDelayMs: 500, maxDelayMs: 30_000 }, () => 0)).toBe(0);
    }
  });

  test('Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

/** A node:http server with a hand-written handler (partial bodies, chunked writes). */
async function rawServer(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  let count = 0;
  const server = createServer((req, res) => {
    count++;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
