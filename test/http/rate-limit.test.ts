import { afterEach, describe, expect, test, vi } from 'vitest';
import { sourceSchema } from '../../src/config/schema.js';
import type { Clock } from '../../src/core/clock.js';
import { HttpClient, type HttpClientOptions } from '../../src/http/client.js';
import { ManualClock, steppingClock } from '../support/clocks.js';
import { type ScriptedServer, scriptedServer } from '../support/scripted-server.js';

const servers: ScriptedServer[] = [];
const clients: HttpClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(handler: Parameters<typeof scriptedServer>[0]): Promise<ScriptedServer> {
  const server = await scriptedServer(handler);
  servers.push(server);
  return server;
}

function client(source: Record<string, unknown>, clock: Clock, options: HttpClientOptions = {}): HttpClient {
  const created = new HttpClient(sourceSchema.parse(source), { clock, random: () => 1, ...options });
  clients.push(created);
  return created;
}

describe('a rate-limited server', () => {
  test('allowing 10 requests per second sees no 429 from clients configured at 10/s, which get at least 9/s', async () => {
    // The server enforces its limit the strict way: at most 10 accepted requests in any sliding second.
    const accepted: number[] = [];
    const arrivals: number[] = [];
    let rejected = 0;
    const server = await serve(() => {
      const now = performance.now();
      arrivals.push(now);
      while (accepted.length > 0 && accepted[0]! <= now - 1_000) accepted.shift();
      if (accepted.length >= 10) {
        rejected++;
        return { status: 429, headers: { 'retry-after': '1' } };
      }
      accepted.push(now);
      return { body: { ok: true } };
    });
    // Two loads of one pipeline, each with its own client, share the limit through the config id.
    const source = { base_url: server.url, rate_limit: { requests_per_second: 10 }, max_concurrency: 4 };
    const clock = realClock();
    const loads = [0, 1].map(() => client(source, clock, { shareKey: 'rate_limit_test' }));
    const seconds = 4;
    const until = Date.now() + seconds * 1_000;
    await Promise.all(
      loads.flatMap((http) =>
        [0, 1, 2].map(async () => {
          while (Date.now() < until) {
            await http.request({ method: 'GET', path: '/x' });
          }
        }),
      ),
    );
    expect(rejected).toBe(0);
    expect(loads.reduce((n, c) => n + c.stats.rateLimited, 0)).toBe(0);
    // Throughput as the server saw it: requests that arrived in the first `seconds` seconds.
    const inWindow = arrivals.filter((t) => t < arrivals[0]! + seconds * 1_000).length;
    expect(inWindow).toBeGreaterThanOrEqual(9 * seconds);
  });

  test('max_concurrency caps the requests in flight across every load sharing the source', async () => {
    let inFlight = 0;
    let peak = 0;
    const server = await serve(async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight--;
      return { body: {} };
    });
    const clock = realClock();
    const loads = [0, 1].map(() =>
      client({ base_url: server.url, max_concurrency: 2 }, clock, { shareKey: 'concurrency_test' }),
    );
    await Promise.all(
      loads.flatMap((http) => Array.from({ length: 6 }, () => http.request({ method: 'GET', path: '/x' }))),
    );
    expect(server.requests).toHaveLength(12);
    expect(peak).toBe(2);
  });

  test('a 429 with Retry-After is waited out, and pauses every request of the source meanwhile', async () => {
    const clock = new ManualClock();
    const server = await serve(({ n }) =>
      n === 0 ? { status: 429, headers: { 'retry-after': '5' } } : { body: { ok: true } },
    );
    const http = client({ base_url: server.url }, clock);
    const first = http.request({ method: 'GET', path: '/a' });
    await vi.waitFor(() => expect(clock.sleeping).toBe(1));
    const second = http.request({ method: 'GET', path: '/b' });
    await vi.waitFor(() => expect(clock.sleeping).toBe(2));
    await clock.advance(4_999);
    expect(server.requests).toHaveLength(1);
    await clock.advance(1);
    await Promise.all([first, second]);
    expect(server.requests.map((r) => r.path).sort()).toEqual(['/a', '/a', '/b']);
    expect(http.stats).toMatchObject({ rateLimited: 1, retries: 1 });
  });

  test('X-RateLimit-Remaining: 0 holds the next request until X-RateLimit-Reset', async () => {
    const clock = steppingClock();
    const reset = clock.now().getTime() / 1000 + 30;
    const server = await serve(({ n }) => ({
      body: { n },
      headers: n === 0 ? { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) } : {},
    }));
    const http = client({ base_url: server.url }, clock);
    await http.request({ method: 'GET', path: '/x' });
    await http.request({ method: 'GET', path: '/x' });
    expect(clock.sleeps).toEqual([30_000]);
    expect(http.stats.rateLimitWaitMs).toBe(30_000);
    expect(server.requests).toHaveLength(2);
  });

  test('RateLimit (IETF draft) with r=0 holds the next request for t seconds', async () => {
    const clock = steppingClock();
    const server = await serve(({ n }) => ({
      body: {},
      headers: n === 0 ? { ratelimit: '"default";r=0;t=7' } : {},
    }));
    const http = client({ base_url: server.url }, clock);
    await http.request({ method: 'GET', path: '/x' });
    await http.request({ method: 'GET', path: '/x' });
    expect(clock.sleeps).toEqual([7_000]);
  });

  test('a wait longer than the time budget fails at once as RATE_LIMITED, saying what the server asked', async () => {
    const clock = steppingClock();
    const server = await serve(() => ({ status: 429, headers: { 'retry-after': '3600' } }));
    const http = client({ base_url: server.url, retry: { max_elapsed: '1m' } }, clock);
    await expect(http.request({ method: 'GET', path: '/x' })).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      message: expect.stringMatching(
        /asked to wait until .* \(Retry-After: 3600\), past this request's time budget/,
      ),
    });
    expect(clock.sleeps).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });
});

/** The system clock, as its own object so that this test's limiter state is its own. */
function realClock(): Clock {
  return {
    now: () => new Date(),
    sleep: (ms, signal) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(resolve, ms);
        signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(signal.reason);
        });
      }),
  };
}
