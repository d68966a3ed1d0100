import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cli } from '../support/cli.js';
import { rows, runYaml, withWorkspace } from '../support/run.js';
import { type ScriptedServer, scriptedServer } from '../support/scripted-server.js';
import { tempDir } from '../support/workspace.js';

const tmp = tempDir();
let server: ScriptedServer;
const KEY = 'report-api-key-93b1';
const db = tmp.path('report.duckdb');

beforeAll(async () => {
  const hits = new Map<string, number>();
  server = await scriptedServer(({ path, query }) => {
    const page = Number(query.get('page'));
    const key = `${path}:${page}`;
    hits.set(key, (hits.get(key) ?? 0) + 1);
    // Page 2 of each resource fails twice with a 503 before it is served.
    if (page === 2 && hits.get(key)! <= 2) return { status: 503 };
    return { body: page <= 3 ? [{ id: page * 10 }, { id: page * 10 + 1 }] : [] };
  });
  process.env.REPORT_KEY = KEY;
  const outcomes = await runYaml(tmp.dir, {
    id: 'rl_report',
    source: {
      base_url: server.url,
      auth: { type: 'api_key', key: '${env:REPORT_KEY}', name: 'api_key', in: 'query' },
      retry: { max_attempts: 4, initial_delay: 20 },
      rate_limit: { requests_per_second: 100 },
      // One request at a time: no page is fetched ahead, so the request counts below are exact.
      max_concurrency: 1,
    },
    resources: ['customers', 'orders'].map((name) => ({
      name,
      endpoint: { path: `/${name}` },
      paginator: { type: 'page_number', page_size: 2 },
    })),
    destination: { type: 'duckdb', path: db },
  });
  expect(outcomes.map((o) => o.status)).toEqual(['SUCCESS', 'SUCCESS']);
});
afterAll(async () => {
  await server.close();
  tmp.cleanup();
});

describe('request telemetry', () => {
  test('every attempt is in metadata.api_request_log, matching the audit counts, with secrets masked', async () => {
    await withWorkspace({ type: 'duckdb', path: db }, tmp.dir, async (w) => {
      const audit = await rows(
        w,
        'SELECT ResourceName, RequestCount, RetryCount, BytesFetched FROM metadata.api_audit_table ORDER BY ResourceName',
      );
      const log = await rows(
        w,
        `SELECT ResourceName, Method, Path, Status, RequestAttempt, LatencyMs, Bytes, RateLimitWaitMs, BackoffMs, Weight, RunId, Attempt, IndexNo
         FROM metadata.api_request_log ORDER BY ResourceName, RequestedAt`,
      );
      for (const a of audit) {
        const mine = log.filter((r) => r.ResourceName === a.ResourceName);
        expect(mine).toHaveLength(Number(a.RequestCount));
        expect(mine.filter((r) => Number(r.RequestAttempt) > 1)).toHaveLength(Number(a.RetryCount));
        expect(mine.reduce((n, r) => n + Number(r.Bytes), 0)).toBe(Number(a.BytesFetched));
      }
      const customers = log.filter((r) => r.ResourceName === 'customers');
      expect(customers.map((r) => [r.Path, r.Status, r.RequestAttempt])).toEqual([
        ['/customers?page=1&per_page=2&api_key=***', 200, 1],
        ['/customers?page=2&per_page=2&api_key=***', 503, 1],
        ['/customers?page=2&per_page=2&api_key=***', 503, 2],
        ['/customers?page=2&per_page=2&api_key=***', 200, 3],
        ['/customers?page=3&per_page=2&api_key=***', 200, 1],
        ['/customers?page=4&per_page=2&api_key=***', 200, 1],
      ]);
      expect(customers.every((r) => r.Method === 'GET' && r.Weight === 1 && Number(r.LatencyMs) > 0)).toBe(
        true,
      );
      expect(customers.some((r) => Number(r.BackoffMs) > 0)).toBe(true);
      expect(JSON.stringify(log)).not.toContain(KEY);
    });
  });

  test('restlake report: requests, success rate, p50/p95, errors by status and waits per resource', async () => {
    const json = await cli(['report', 'rl_report', '--db', db, '--json'], { cwd: tmp.dir });
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(report.map((r) => [r.resource, r.requests, r.succeeded, r.errors])).toEqual([
      ['customers', 6, 4, { '503': 2 }],
      ['orders', 6, 4, { '503': 2 }],
      ['total', 12, 8, { '503': 4 }],
    ]);
    for (const line of report) {
      expect(line.p50Ms).toBeGreaterThan(0);
      expect(line.p95Ms as number).toBeGreaterThanOrEqual(line.p50Ms as number);
    }
    expect(report[2]!.rateLimitWaitMs).toBeGreaterThan(0);

    const text = await cli(['report', 'rl_report.orders', '--db', db], { cwd: tmp.dir });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/requests of rl_report\.orders in the last 7d/);
    expect(text.stdout).toMatch(/orders\s+6\s+66\.7%\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+ B\s+503×2/);

    const none = await cli(['report', 'nothing_here', '--db', db], { cwd: tmp.dir });
    expect(none.stdout).toContain('no requests of nothing_here in the last 7d');
  });
});
