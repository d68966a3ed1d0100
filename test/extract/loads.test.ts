import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Clock, systemClock } from '../../src/core/clock.js';
import { customer, payments, product } from '../../src/sample-api/datasets.js';
import { type SampleApi, type SampleRequest, startSampleApi } from '../../src/sample-api/server.js';
import { rows, runYaml, withWorkspace } from '../support/run.js';
import { ticketsByWindow } from '../support/sample-resources.js';
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

type GraphqlBody = { query: string; variables: Record<string, unknown> };

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

const ticketsResource = ticketsByWindow({
  pageSize: 4,
  every: 'daily',
  incremental: { lag: '1h' },
  write: 'merge',
});

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

describe('request shapes', () => {
  test('POST search with the window interval and page number in the body, windows fetched 3 at a time', async () => {
    const p = pipeline([
      {
        name: 'tickets',
        endpoint: {
          path: '/tickets/search',
          method: 'POST',
          body: { interval: '{window.start}/{window.end}', paging: { pageSize: 5, pageNumber: '{page}' } },
        },
        records: 'entities',
        paginator: { type: 'page_number', total_pages_path: 'pageCount' },
        window: { every: '6h', start: '2024-01-01T00:00:00Z', concurrency: 3 },
        primary_key: ['id'],
        write: 'merge',
      },
    ]);
    log = [];
    const [outcome] = await runYaml(tmp.dir, p.yaml, { clock: fixedClock('2024-01-06T00:00:00Z') });
    const expected = api.tickets.updatedBetween(
      new Date('2024-01-01T00:00:00Z'),
      new Date('2024-01-06T00:00:00Z'),
    );
    expect(outcome).toMatchObject({
      status: 'SUCCESS',
      sourceRows: expected.length,
      totalRows: expected.length,
    });
    const bodies = log
      .filter((r) => r.path === '/tickets/search')
      .map((r) => r.body as { interval: string; paging: { pageNumber: unknown; pageSize: number } });
    expect(new Set(bodies.map((b) => b.interval)).size).toBe(20);
    expect(bodies.every((b) => typeof b.paging.pageNumber === 'number' && b.paging.pageSize === 5)).toBe(
      true,
    );
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      const got = await rows(ws, 'SELECT id FROM main.tickets ORDER BY id');
      expect(got.map((r) => Number(r.id))).toEqual(expected.map((t) => t.id).sort((a, b) => a - b));
    });
  });

  test('GraphQL: customers through a Relay connection, tickets through offset variables and window variables', async () => {
    const p = pipeline([
      {
        name: 'gql_customers',
        endpoint: { path: '/graphql' },
        graphql: {
          query: `query Customers($first: Int, $after: String) {
            customers(first: $first, after: $after) { edges { node { id name email balance } } pageInfo { hasNextPage endCursor } }
          }`,
        },
        records: 'data.customers.edges[].node',
        paginator: { type: 'relay', page_info_path: 'data.customers.pageInfo', page_size: 15 },
        primary_key: ['id'],
        write: 'merge',
      },
      {
        name: 'gql_tickets',
        endpoint: { path: '/graphql' },
        graphql: {
          query: `query Tickets($since: String, $before: String, $offset: Int, $limit: Int) {
            tickets(updatedSince: $since, updatedBefore: $before, offset: $offset, limit: $limit) { id status updated_at }
          }`,
          variables: { since: '{window.start}', before: '{window.end}' },
        },
        records: 'data.tickets',
        paginator: { type: 'offset', limit: 7 },
        window: { every: 'weekly', start: '2024-01-01T00:00:00Z' },
        primary_key: ['id'],
        write: 'merge',
      },
    ]);
    log = [];
    const outcomes = await runYaml(tmp.dir, p.yaml, { clock: fixedClock('2024-02-01T00:00:00Z') });
    const january = api.tickets.updatedBetween(
      new Date('2024-01-01T00:00:00Z'),
      new Date('2024-02-01T00:00:00Z'),
    );
    expect(outcomes.map((o) => [o.resource, o.status, o.totalRows])).toEqual([
      ['gql_customers', 'SUCCESS', CUSTOMERS],
      ['gql_tickets', 'SUCCESS', january.length],
    ]);
    const customerRequests = log.filter((r) => JSON.stringify(r.body).includes('Customers'));
    expect(customerRequests.map((r) => (r.body as GraphqlBody).variables.first)).toEqual([15, 15, 15]);
    expect((customerRequests[0]!.body as GraphqlBody).variables.after).toBeUndefined();
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      const [c] = await rows(ws, 'SELECT name, email, balance FROM main.gql_customers WHERE id = 7');
      expect(c).toEqual({ name: customer(6).name, email: customer(6).email, balance: customer(6).balance });
    });
  });

  test('GraphQL errors fail the load with their messages and leave no rows', async () => {
    const p = pipeline([
      {
        name: 'broken',
        endpoint: { path: '/graphql' },
        graphql: { query: '{ customers { edges { node { id nmae } } } }' },
        records: 'data.customers.edges[].node',
      },
    ]);
    const [outcome] = await runYaml(tmp.dir, p.yaml);
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.error?.code).toBe('GRAPHQL');
    expect(outcome?.error?.message).toMatch(/GraphQL errors: Cannot query field "nmae" on type "Customer"/);
  });

  test('Link header pagination (X-Total-Count present) and a header cursor sent alone on follow-ups', async () => {
    const p = pipeline([
      {
        name: 'products',
        endpoint: { path: '/products', params: { per_page: 10 } },
        paginator: { type: 'link_header' },
        primary_key: ['sku'],
        write: 'merge',
      },
      {
        name: 'audit_log',
        endpoint: { path: '/audit-log', params: { since: '2024-01-01T01:00:00Z', limit: 50 } },
        records: 'entries',
        paginator: { type: 'cursor', cursor_header: 'X-Next-Cursor', only_cursor_on_follow_up: true },
        primary_key: ['event_id'],
        write: 'merge',
      },
    ]);
    log = [];
    const outcomes = await runYaml(tmp.dir, p.yaml);
    expect(outcomes.map((o) => [o.resource, o.status, o.totalRows, o.pages])).toEqual([
      ['products', 'SUCCESS', 47, 5],
      ['audit_log', 'SUCCESS', api.sizes.events - 60, 5],
    ]);
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      const [last] = await rows(
        ws,
        `SELECT name, price::VARCHAR AS price FROM main.products WHERE sku = 'SKU-00047'`,
      );
      expect(last).toEqual({ name: product(46).name, price: product(46).price });
    });
  });
});

describe('parent → child', () => {
  const children = {
    name: 'payments',
    parent: 'customers',
    endpoint: { path: '/customers/{parent.id}/payments' },
    records: 'payments',
    paginator: { type: 'next_url', next_path: 'next' },
    parent_fields: ['id', 'email'],
    primary_key: ['payment_id'],
    write: 'merge',
  };
  const parent = {
    name: 'customers',
    endpoint: { path: '/customers' },
    paginator: { type: 'page_number', page_size: 10 },
    primary_key: ['id'],
    write: 'merge',
  };
  const expectedPayments = Array.from({ length: CUSTOMERS }, (_, i) => payments(i + 1)).flat();

  test('each parent record gets its child stream; the parent fields land in the child rows', async () => {
    const p = pipeline([parent, children]);
    log = [];
    const outcomes = await runYaml(tmp.dir, p.yaml, { concurrency: 1 });
    expect(outcomes.map((o) => [o.resource, o.status, o.totalRows])).toEqual([
      ['customers', 'SUCCESS', CUSTOMERS],
      ['payments', 'SUCCESS', expectedPayments.length],
    ]);
    const childRequests = log.filter((r) => r.path.endsWith('/payments'));
    // One request per customer, plus one for each second page (customers with 3 payments).
    expect(childRequests).toHaveLength(
      CUSTOMERS + Array.from({ length: CUSTOMERS }, (_, i) => i + 1).filter((c) => c % 4 === 3).length,
    );
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      const got = await rows(
        ws,
        `SELECT payment_id, _parent_id, _parent_email, amount FROM main.payments WHERE payment_id IN ('PAY-7-1', 'PAY-7-3')`,
      );
      expect(got).toEqual([
        {
          payment_id: 'PAY-7-1',
          _parent_id: 7,
          _parent_email: customer(6).email,
          amount: payments(7)[0]!.amount,
        },
        {
          payment_id: 'PAY-7-3',
          _parent_id: 7,
          _parent_email: customer(6).email,
          amount: payments(7)[2]!.amount,
        },
      ]);
      const [mismatch] = await rows(
        ws,
        `SELECT count(*) AS n FROM main.payments WHERE payment_id NOT LIKE 'PAY-' || _parent_id || '-%'`,
      );
      expect(mismatch).toEqual({ n: 0 });
    });
  });

  test('a windowed child: the parent is walked window by window, each of its records feeding a child stream', async () => {
    const p = pipeline([
      ticketsResource,
      {
        ...children,
        name: 'ticket_payments',
        parent: 'tickets',
        endpoint: { path: '/customers/{parent.customer_id}/payments' },
        parent_fields: ['id'],
        primary_key: ['payment_id', '_parent_id'],
        window: { every: 'daily' },
        incremental: { cursor_field: 'paid_at', start: '2024-01-01T00:00:00Z', end: '2024-01-03T00:00:00Z' },
      },
    ]);
    log = [];
    const outcomes = await runYaml(tmp.dir, p.yaml, {
      concurrency: 1,
      clock: fixedClock('2024-02-01T00:00:00Z'),
    });
    const parents = api.tickets.updatedBetween(
      new Date('2024-01-01T00:00:00Z'),
      new Date('2024-01-03T00:00:00Z'),
    );
    const expected = parents.flatMap((t) =>
      payments(t.customer_id).map((pay) => `${pay.payment_id}/${t.id}`),
    );
    expect(outcomes.find((o) => o.resource === 'ticket_payments')).toMatchObject({
      status: 'SUCCESS',
      totalRows: expected.length,
    });
    // The rows are exactly those of the parents updated in the child's windows: the parent walk got them too.
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      const got = await rows(
        ws,
        `SELECT payment_id || '/' || _parent_id AS k FROM main.ticket_payments ORDER BY k`,
      );
      expect(got.map((r) => r.k)).toEqual([...expected].sort());
    });
  });

  test('a child load that fails midway resumes without fetching again the children it committed', async () => {
    const p = pipeline([parent, children], { batch_size: 3 });
    failOn = (req) => req.path === '/customers/27/payments';
    log = [];
    const first = await runYaml(tmp.dir, p.yaml, { concurrency: 1 });
    expect(first.find((o) => o.resource === 'payments')?.status).toBe('PARTIAL');
    const fetchedFirst = log.filter((r) => r.path.endsWith('/payments')).map((r) => r.path);
    expect(fetchedFirst).toContain('/customers/26/payments');
    // Children run side by side, so some after 27 may have finished and committed before it failed.
    const committed = await withWorkspace(p.destination, tmp.dir, async (ws) =>
      (await rows(ws, 'SELECT _parent_id AS id, count(*) AS n FROM main.payments GROUP BY 1'))
        .filter((r) => Number(r.n) === payments(Number(r.id)).length)
        .map((r) => Number(r.id)),
    );

    failOn = undefined;
    log = [];
    const second = await runYaml(tmp.dir, p.yaml, { concurrency: 1 });
    expect(second.find((o) => o.resource === 'payments')).toMatchObject({
      status: 'SUCCESS',
      totalRows: expectedPayments.length,
    });
    const again = countBy('/customers', () => 'parent pages');
    // The parent page holding customers 21-30 is fetched again, and from it only the children not yet committed.
    expect(again.get('parent pages')).toBeGreaterThan(0);
    const ids = log.filter((r) => r.path.endsWith('/payments')).map((r) => Number(r.path.split('/')[2]));
    expect(Math.min(...ids)).toBeGreaterThan(21);
    // No child committed is fetched again; every one owed is: 27, those of its page whose rows did not land
    // (one without payments leaves no row to tell), and all of the parent pages after it.
    const refetched = new Set(ids);
    expect(committed.filter((id) => refetched.has(id))).toEqual([]);
    const owed = Array.from({ length: CUSTOMERS - 21 }, (_, i) => i + 22).filter(
      (id) => !committed.includes(id) && (payments(id).length > 0 || id > 30),
    );
    expect(owed).toContain(27);
    expect(owed.filter((id) => !refetched.has(id))).toEqual([]);
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      expect(
        await rows(ws, 'SELECT count(*) AS n, count(DISTINCT payment_id) AS d FROM main.payments'),
      ).toEqual([{ n: expectedPayments.length, d: expectedPayments.length }]);
    });
  });
});
