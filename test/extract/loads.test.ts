import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Clock, systemClock } from '../../src/core/clock.js';
import { customer, payments, product } from '../../src/sample-api/datasets.js';
import { type SampleApi, type SampleRequest, startSampleApi } from '../../src/sample-api/server.js';
import { rows, runYaml, withWorkspace } from '../support/run.js';
import { tempDir } from '../support/workspace.js';

/**
 * Whole loads against the sample API's harder endpoints: windows (sequential and concurrent), POST bodies,
 * GraphQL, parent → child, incremental loads, and resuming at the window and page where a load failed.
 */

const tmp = tempDir();
let api: SampleApi;
let log: SampleRequest[] = [];
/** A request the next run must fail on (400), to leave a checkpoint behind. */
let failOn: ((req: SampleRequest) => boolean) | undefined;
let n = 0;

const CUSTOMERS = 40;

beforeAll(async () => {
  api = await startSampleApi({
    sizes: { customers: CUSTOMERS, tickets: 120, products: 47 },
    onRequest: (req) => {
      log.push(req);
      if (failOn?.(req)) throw new Error('scripted failure');
    },
  });
  process.env.RESTLAKE_LOADS_TOKEN = api.token!;
});
afterAll(async () => {
  await api.close();
  tmp.cleanup();
});

const fixedClock = (iso: string): Clock => ({ now: () => new Date(iso), sleep: systemClock.sleep });

function pipeline(resources: unknown[], extra: Record<string, unknown> = {}) {
  const db = tmp.path(`loads-${++n}.duckdb`);
  return {
    destination: { type: 'duckdb', path: db },
    yaml: {
      id: `loads_${n}`,
      source: {
        base_url: api.url,
        auth: { type: 'bearer', token: '${env:RESTLAKE_LOADS_TOKEN}' },
        retry: { max_attempts: 1 },
      },
      resources,
      destination: { type: 'duckdb', path: db },
      ...extra,
    },
  };
}

/** Requests of the last run to `path`, counted by a key. */
function countBy(path: string, key: (req: SampleRequest) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const req of log.filter((r) => r.path === path)) counts.set(key(req), (counts.get(key(req)) ?? 0) + 1);
  return counts;
}

const ticketsResource = {
  name: 'tickets',
  endpoint: {
    path: '/tickets',
    params: { updated_since: '{window.start}', updated_before: '{window.end}', page_size: 4 },
  },
  records: 'tickets',
  paginator: { type: 'page_number', has_more_path: 'has_more' },
  window: { every: 'daily' },
  incremental: { cursor_field: 'updated_at', start: '2024-01-01T00:00:00Z', lag: '1h' },
  primary_key: ['id'],
  write: 'merge',
};

describe('time windows and incremental loads', () => {
  test('a full load by daily windows becomes incremental and picks up exactly the changed and new records', async () => {
    const p = pipeline([ticketsResource]);
    log = [];
    const [full] = await runYaml(tmp.dir, p.yaml, { clock: fixedClock('2024-02-01T00:00:00Z') });
    expect(full).toMatchObject({ status: 'SUCCESS', sourceRows: 120, totalRows: 120 });

    const perPage = countBy('/tickets', (r) => `${r.query.get('updated_since')} p${r.query.get('page')}`);
    expect(
      [...perPage.values()].every((c) => c === 1),
      'no window page fetched twice',
    ).toBe(true);
    const windows = new Set(log.map((r) => r.query.get('updated_since')));
    expect(windows.size).toBe(31);
    expect([...windows].sort()[0]).toBe('2024-01-01T00:00:00.000Z');
    expect(
      log
        .map((r) => r.query.get('updated_before'))
        .sort()
        .at(-1),
    ).toBe('2024-02-01T00:00:00.000Z');

    const mark = api.tickets
      .updatedBetween(undefined, undefined)
      .map((t) => t.updated_at)
      .sort()
      .at(-1)!;
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      const [done, next] = (await ws.control.loads(p.yaml.id, 2)).reverse();
      expect(done).toMatchObject({ LoadType: 'FULL_LOAD', LoadStatus: 'SUCCESS' });
      expect(done!.LastLoadTime?.toISOString()).toBe(mark);
      expect(next).toMatchObject({ LoadType: 'INCREMENTAL', LoadStatus: 'PENDING' });
      expect(next!.LoadStartTime?.getTime()).toBe(Date.parse(mark) - 3_600_000);
    });

    api.tickets.update(3, new Date('2024-02-01T10:00:00Z'), { status: 'reopened' });
    api.tickets.update(50, new Date('2024-02-01T10:30:00Z'), { status: 'reopened' });
    api.tickets.update(70, new Date('2024-02-01T11:00:00Z'), { priority: 9 });
    api.tickets.add(new Date('2024-02-01T12:00:00Z'), { subject: 'new one' });
    api.tickets.add(new Date('2024-02-01T12:30:00Z'), { subject: 'new two' });
    const expected = api.tickets.updatedBetween(
      new Date(Date.parse(mark) - 3_600_000),
      new Date('2024-02-02T00:00:00Z'),
    );
    const lagged = expected.filter((t) => t.updated_at <= mark);
    expect(lagged.length).toBeGreaterThan(0);
    expect(expected.length).toBe(lagged.length + 5);

    log = [];
    const [incremental] = await runYaml(tmp.dir, p.yaml, { clock: fixedClock('2024-02-02T00:00:00Z') });
    expect(incremental).toMatchObject({ status: 'SUCCESS', sourceRows: expected.length, totalRows: 122 });
    const since = [...new Set(log.map((r) => r.query.get('updated_since')!))].sort();
    const from = Date.parse(mark) - 3_600_000;
    const midnights: string[] = [];
    for (let day = Math.floor(from / 86_400_000) + 1; day * 86_400_000 < Date.parse('2024-02-02'); day++) {
      midnights.push(new Date(day * 86_400_000).toISOString());
    }
    expect(since, 'the incremental load asks only for the windows from the mark minus the lag').toEqual([
      new Date(from).toISOString(),
      ...midnights,
    ]);
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      expect(
        await rows(
          ws,
          `SELECT id, status, priority, subject FROM main.tickets WHERE id IN (3, 50, 70, 121, 122) ORDER BY id`,
        ),
      ).toEqual([
        {
          id: 3,
          status: 'reopened',
          priority: api.tickets.get(3)!.priority,
          subject: api.tickets.get(3)!.subject,
        },
        {
          id: 50,
          status: 'reopened',
          priority: api.tickets.get(50)!.priority,
          subject: api.tickets.get(50)!.subject,
        },
        { id: 70, status: api.tickets.get(70)!.status, priority: 9, subject: api.tickets.get(70)!.subject },
        {
          id: 121,
          status: api.tickets.get(121)!.status,
          priority: api.tickets.get(121)!.priority,
          subject: 'new one',
        },
        {
          id: 122,
          status: api.tickets.get(122)!.status,
          priority: api.tickets.get(122)!.priority,
          subject: 'new two',
        },
      ]);
      expect(await rows(ws, 'SELECT count(*) AS n, count(DISTINCT id) AS d FROM main.tickets')).toEqual([
        { n: 122, d: 122 },
      ]);
      const [load] = (await ws.control.loads(p.yaml.id, 2)).reverse();
      expect(load).toMatchObject({ LoadType: 'INCREMENTAL', LoadStatus: 'SUCCESS' });
      expect(load!.LastLoadTime?.toISOString()).toBe('2024-02-01T12:30:00.000Z');
    });
  });
});
