import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { sourceSchema } from '../../src/config/schema.js';
import { HttpClient } from '../../src/http/client.js';
import { steppingClock } from '../support/clocks.js';
import { rows, runYaml, withWorkspace } from '../support/run.js';
import { type ScriptedServer, scriptedServer } from '../support/scripted-server.js';
import { tempDir } from '../support/workspace.js';

const tmp = tempDir();
let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
afterAll(() => tmp.cleanup());

describe('circuit breaker', () => {
  test('opens after N consecutive failures, fails fast through the cooldown, then one probe closes it', async () => {
    let healthy = false;
    server = await scriptedServer(() =>
      healthy ? { body: { ok: true } } : { status: 503, body: { error: 'down' } },
    );
    const clock = steppingClock();
    const client = new HttpClient(
      sourceSchema.parse({
        base_url: server.url,
        retry: { max_attempts: 2, initial_delay: 10 },
        circuit_breaker: { failure_threshold: 3, cooldown: '30s' },
      }),
      { clock, random: () => 1 },
    );
    // Two attempts, two failures: the request fails on its own merits.
    await expect(client.request({ method: 'GET', path: '/a' })).rejects.toMatchObject({
      code: 'HTTP_STATUS',
    });
    // The third consecutive failure opens the circuit: this request gives up at once, saying why.
    await expect(client.request({ method: 'GET', path: '/b' })).rejects.toMatchObject({
      code: 'CIRCUIT_OPEN',
      message: expect.stringMatching(
        /^circuit open for http:\/\/127\.0\.0\.1:\d+: 3 consecutive failures, the last: GET http:\/\/127\.0\.0\.1:\d+\/b answered 503: \{"error":"down"\}; failing fast until .* \(circuit_breaker\.cooldown 30\.0s\)$/,
      ),
    });
    expect(server.requests).toHaveLength(3);
    // Open: no request reaches the server.
    await expect(client.request({ method: 'GET', path: '/c' })).rejects.toMatchObject({
      code: 'CIRCUIT_OPEN',
    });
    clock.advance(29_000);
    await expect(client.request({ method: 'GET', path: '/c' })).rejects.toMatchObject({
      code: 'CIRCUIT_OPEN',
    });
    expect(server.requests).toHaveLength(3);
    // After the cooldown a probe goes through; the API is back, so the circuit closes.
    clock.advance(1_000);
    healthy = true;
    await expect(client.request({ method: 'GET', path: '/d' })).resolves.toMatchObject({ status: 200 });
    await expect(client.request({ method: 'GET', path: '/e' })).resolves.toMatchObject({ status: 200 });
    expect(server.requests.map((r) => r.path)).toEqual(['/a', '/a', '/b', '/d', '/e']);
    await client.close();
  });

  test('a failed probe opens it again; 4xx answers do not count as failures', async () => {
    let status = 500;
    server = await scriptedServer(() => ({ status }));
    const clock = steppingClock();
    const client = new HttpClient(
      sourceSchema.parse({
        base_url: server.url,
        retry: { max_attempts: 1 },
        circuit_breaker: { failure_threshold: 2, cooldown: '10s' },
      }),
      { clock },
    );
    const get = () => client.request({ method: 'GET', path: '/x' }).catch((e: { code: string }) => e.code);
    status = 404;
    expect([await get(), await get(), await get()]).toEqual(['HTTP_STATUS', 'HTTP_STATUS', 'HTTP_STATUS']);
    status = 500;
    expect([await get(), await get(), await get()]).toEqual(['HTTP_STATUS', 'CIRCUIT_OPEN', 'CIRCUIT_OPEN']);
    clock.advance(10_000);
    expect(await get()).toBe('CIRCUIT_OPEN');
    expect(await get()).toBe('CIRCUIT_OPEN');
    expect(server.requests).toHaveLength(6);
    await client.close();
  });

  test('a load that failed because the circuit opened says so in the control table, and the next load fails fast', async () => {
    server = await scriptedServer(() => ({ status: 502, body: 'bad gateway' }));
    const db = tmp.path('circuit.duckdb');
    const outcomes = await runYaml(
      tmp.dir,
      {
        id: 'circuit_e2e',
        source: {
          base_url: server.url,
          retry: { max_attempts: 3, initial_delay: 1 },
          circuit_breaker: { failure_threshold: 2, cooldown: '5m' },
        },
        resources: [
          { name: 'first', endpoint: { path: '/first' } },
          { name: 'second', endpoint: { path: '/second' } },
        ],
        destination: { type: 'duckdb', path: db },
      },
      { concurrency: 1 },
    );
    expect(outcomes.map((o) => [o.resource, o.status, o.error?.code])).toEqual([
      ['first', 'FAILED', 'CIRCUIT_OPEN'],
      ['second', 'FAILED', 'CIRCUIT_OPEN'],
    ]);
    expect(server.requests.map((r) => r.path)).toEqual(['/first', '/first']);
    const control = await withWorkspace({ type: 'duckdb', path: db }, tmp.dir, (w) =>
      rows(
        w,
        `SELECT ResourceName, LoadStatus, ErrorMessage FROM metadata.api_control_table ORDER BY IndexNo`,
      ),
    );
    expect(control.map((r) => r.LoadStatus)).toEqual(['FAILED', 'FAILED']);
    for (const row of control)
      expect(row.ErrorMessage).toMatch(
        /^circuit open for http:\/\/127\.0\.0\.1:\d+: 2 consecutive failures, the last: GET .*\/first answered 502/,
      );
  });
});
