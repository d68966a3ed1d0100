import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import type { Workspace } from '../../src/pipeline/runner.js';
import { customer, event, order } from '../../src/sample-api/datasets.js';
import { type SampleApi, startSampleApi } from '../../src/sample-api/server.js';
import { rows, runYaml, withWorkspace } from '../support/run.js';
import { pagesOf, type ScriptedServer, scriptedServer } from '../support/scripted-server.js';
import { tempDir } from '../support/workspace.js';

const tmp = tempDir();
let api: SampleApi;
let n = 0;

beforeAll(async () => {
  api = await startSampleApi({ sizes: { customers: 230, orders: 101, events: 250 } });
  process.env.RESTLAKE_E2E_TOKEN = api.token!;
});
afterAll(async () => {
  await api.close();
  tmp.cleanup();
});

/** A pipeline against the sample API writing to a fresh DuckDB file. */
function pipeline(resources: unknown[], extra: Record<string, unknown> = {}) {
  const db = tmp.path(`e2e-${++n}.duckdb`);
  return {
    db,
    destination: { type: 'duckdb', path: db },
    yaml: {
      id: `e2e_${n}`,
      source: {
        base_url: api.url,
        auth: { type: 'bearer', token: '${env:RESTLAKE_E2E_TOKEN}' },
        retry: { max_attempts: 2, initial_delay: 1 },
        // One request at a time, so that request counts are exact (pages fetched ahead: test/extract/lookahead).
        max_concurrency: 1,
      },
      resources,
      destination: { type: 'duckdb', path: db },
      ...extra,
    },
  };
}

const ids = (list: { id: unknown }[]) => list.map((r) => Number(r.id));

describe('pagination styles against the sample API', () => {
  test.each([
    ['page_number, stop on empty page', { type: 'page_number' }, 6],
    ['page_number, stop on short page', { type: 'page_number', page_size: 100 }, 3],
  ])('%s', async (_name, paginator, requests) => {
    const before = api.requests.get('/customers') ?? 0;
    const p = pipeline([
      { name: 'customers', endpoint: { path: '/customers' }, paginator, primary_key: ['id'], write: 'merge' },
    ]);
    const [outcome] = await runYaml(tmp.dir, p.yaml);
    expect(outcome).toMatchObject({
      status: 'SUCCESS',
      sourceRows: 230,
      targetRows: 230,
      totalRows: 230,
      pages: requests,
    });
    expect((api.requests.get('/customers') ?? 0) - before).toBe(requests);
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      const got = await rows(ws, 'SELECT id FROM main.customers ORDER BY id');
      expect(ids(got as { id: number }[])).toEqual(Array.from({ length: 230 }, (_, i) => i + 1));
      // The sample API gzips what is asked for gzipped: bronze keeps the text, and the bytes that crossed.
      const [page] = await rows(
        ws,
        `SELECT bytes, length(body) AS chars FROM bronze.${p.yaml.id}__customers WHERE page_index = 0`,
      );
      expect(Number(page!.bytes)).toBeLessThan(Number(page!.chars) / 2);
    });
  });

  test('offset/limit, stopping at the total from the body', async () => {
    const p = pipeline([
      {
        name: 'orders',
        endpoint: { path: '/orders' },
        records: 'results',
        paginator: { type: 'offset', limit: 20, total_path: 'total' },
      },
    ]);
    const [outcome] = await runYaml(tmp.dir, p.yaml);
    expect(outcome).toMatchObject({ status: 'SUCCESS', sourceRows: 101, pages: 6 });
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      const [row] = await rows(
        ws,
        `SELECT count(DISTINCT order_id) AS n, min(order_id) AS first, max(order_id) AS last FROM main.orders`,
      );
      expect(row).toEqual({ n: 101, first: 'ORD-000001', last: 'ORD-000101' });
    });
  });

  test('cursor from a body path, records under data.items[]', async () => {
    const p = pipeline([
      {
        name: 'events',
        endpoint: { path: '/events', params: { limit: 100 } },
        records: 'data.items[]',
        paginator: { type: 'cursor', cursor_path: 'meta.next_cursor' },
      },
    ]);
    const [outcome] = await runYaml(tmp.dir, p.yaml);
    expect(outcome).toMatchObject({ status: 'SUCCESS', sourceRows: 250, pages: 3 });
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      const [row] = await rows(ws, 'SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM main.events');
      expect(row).toEqual({ n: 250, d: 250 });
    });
  });
});

describe('record selectors and flattening', () => {
  let server: ScriptedServer;
  beforeAll(async () => {
    server = await scriptedServer(() => ({
      body: {
        results: [
          {
            items: [
              { id: 1, deep: { a: { b: 'x' } }, list: [1, 2] },
              { id: 2, deep: null },
            ],
          },
        ],
      },
    }));
  });
  afterAll(() => server.close());

  test('results[0].items; nested objects become parent__child; arrays stay JSON', async () => {
    const p = pipeline([{ name: 'things', endpoint: {}, records: 'results[0].items' }]);
    p.yaml.source = { base_url: server.url } as never;
    const [outcome] = await runYaml(tmp.dir, p.yaml);
    expect(outcome?.status).toBe('SUCCESS');
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      expect(
        await rows(ws, 'SELECT id, deep__a__b, list::VARCHAR AS list FROM main.things ORDER BY id'),
      ).toEqual([
        { id: 1, deep__a__b: 'x', list: '[1,2]' },
        { id: 2, deep__a__b: null, list: null },
      ]);
    });
  });
});

describe('write dispositions', () => {
  const customers = {
    name: 'customers',
    endpoint: { path: '/customers' },
    paginator: { type: 'page_number', page_size: 100 },
  };

  test('merge twice gives no duplicates', async () => {
    const p = pipeline([{ ...customers, primary_key: ['id'], write: 'merge' }]);
    await runYaml(tmp.dir, p.yaml);
    const [second] = await runYaml(tmp.dir, p.yaml);
    expect(second).toMatchObject({ status: 'SUCCESS', totalRows: 230 });
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      expect(await rows(ws, 'SELECT count(*) AS n, count(DISTINCT id) AS d FROM main.customers')).toEqual([
        { n: 230, d: 230 },
      ]);
    });
  });

  test('append adds every run; replace rebuilds the table', async () => {
    const p = pipeline([
      { ...customers, write: 'append' },
      {
        name: 'orders',
        endpoint: { path: '/orders' },
        records: 'results',
        paginator: { type: 'offset', limit: 50 },
        write: 'replace',
      },
    ]);
    await runYaml(tmp.dir, p.yaml);
    const outcomes = await runYaml(tmp.dir, p.yaml);
    // Loads of one run finish in any order: compare by resource.
    expect(outcomes.map((o) => [o.resource, o.totalRows]).sort()).toEqual([
      ['customers', 460],
      ['orders', 101],
    ]);
  });

  test('merge keeps the last of duplicate keys within a batch', async () => {
    const server = await scriptedServer(() => ({
      body: [
        { id: 1, v: 'old' },
        { id: 2, v: 'only' },
        { id: 1, v: 'new' },
      ],
    }));
    try {
      const p = pipeline([{ name: 'dupes', endpoint: {}, primary_key: ['id'], write: 'merge' }]);
      p.yaml.source = { base_url: server.url, max_concurrency: 1 } as never;
      await runYaml(tmp.dir, p.yaml);
      await withWorkspace(p.destination, tmp.dir, async (ws) => {
        expect(await rows(ws, 'SELECT id, v FROM main.dupes ORDER BY id')).toEqual([
          { id: 1, v: 'new' },
          { id: 2, v: 'only' },
        ]);
      });
    } finally {
      await server.close();
    }
  });

  test('a replace that fails midway leaves the old table intact; the rerun resumes and swaps', async () => {
    const records = Array.from({ length: 50 }, (_, i) => ({ id: i + 1, v: `v${i + 1}` }));
    const page = pagesOf(records, 10);
    let failPage: number | undefined;
    const server = await scriptedServer((req) => {
      const p = Number(req.query.get('page'));
      if (p === failPage) return { status: 400, body: { error: 'bad page' } };
      return { body: page(p) };
    });
    try {
      const p = pipeline(
        [
          {
            name: 'items',
            endpoint: {},
            paginator: { type: 'page_number', page_size: 10 },
            write: 'replace',
          },
        ],
        { batch_size: 10 },
      );
      p.yaml.source = { base_url: server.url, max_concurrency: 1 } as never;
      await runYaml(tmp.dir, p.yaml);
      records.forEach((r) => {
        r.v = `${r.v}-changed`;
      });
      failPage = 4;
      const [failed] = await runYaml(tmp.dir, p.yaml);
      expect(failed).toMatchObject({ status: 'PARTIAL' });
      expect(failed!.error?.message).toMatch(/answered 400: \{"error":"bad page"\}/);
      await withWorkspace(p.destination, tmp.dir, async (ws) => {
        expect(
          await rows(
            ws,
            `SELECT count(*) AS n, count(*) FILTER (v LIKE '%changed') AS changed FROM main.items`,
          ),
        ).toEqual([{ n: 50, changed: 0 }]);
        const [load] = await ws.control.loads(p.yaml.id, 1);
        expect(load).toMatchObject({ LoadStatus: 'FAILED', AttemptCount: 1 });
        expect(load!.ErrorMessage).toMatch(/answered 400/);
      });
      failPage = undefined;
      const requestsBefore = server.requests.length;
      const [resumed] = await runYaml(tmp.dir, p.yaml);
      expect(resumed).toMatchObject({ status: 'SUCCESS', totalRows: 50 });
      expect(
        server.requests.length - requestsBefore,
        'pages 1-3 were committed: only 4, 5 and the empty 6 are fetched',
      ).toBe(3);
      await withWorkspace(p.destination, tmp.dir, async (ws) => {
        expect(
          await rows(
            ws,
            `SELECT count(*) AS n, count(*) FILTER (v LIKE '%changed') AS changed FROM main.items`,
          ),
        ).toEqual([{ n: 50, changed: 50 }]);
        const audits = await ws.control.audits(p.yaml.id);
        expect(audits.map((a) => a.LoadStatus)).toEqual(['SUCCESS', 'PARTIAL', 'SUCCESS']);
      });
    } finally {
      await server.close();
    }
  });
});

describe('the DuckDB file', () => {
  /** Loads 5,000 records with a distinct string each into a fresh file, then hands it over checkpointed. */
  async function load(
    destination: Record<string, unknown>,
    inspect: (ws: Workspace, catalog: string, file: string) => Promise<void>,
  ) {
    const records = Array.from({ length: 5_000 }, (_, i) => ({
      id: i + 1,
      v: `customer.${i + 1}@example.com`,
    }));
    const page = pagesOf(records, 1_000);
    const server = await scriptedServer((req) => ({ body: page(Number(req.query.get('page'))) }));
    try {
      const p = pipeline([
        {
          name: 'wide',
          endpoint: {},
          paginator: { type: 'page_number', page_size: 1_000 },
          primary_key: ['id'],
          write: 'merge',
        },
      ]);
      p.yaml.source = { base_url: server.url } as never;
      p.yaml.destination = { ...p.yaml.destination, ...destination };
      const [outcome] = await runYaml(tmp.dir, p.yaml);
      expect(outcome).toMatchObject({ status: 'SUCCESS', totalRows: 5_000 });
      const catalog = p.db.replace(/^.*\//, '').replace(/\.duckdb$/, '');
      await withWorkspace(p.yaml.destination as never, tmp.dir, async (ws) => {
        await rows(ws, 'CHECKPOINT');
        await inspect(ws, catalog, p.db);
      });
    } finally {
      await server.close();
    }
  }

  test('keeps row groups small (so a bronze table never piles its pages into one) and its catalog name', async () => {
    await load({}, async (ws, catalog) => {
      const [groups] = await rows(
        ws,
        `SELECT count(DISTINCT row_group_id) AS n, max(count) AS rows FROM pragma_storage_info('main.wide')`,
      );
      // DuckDB's default would keep 5,000 rows in one row group of up to 122,880.
      expect(Number(groups?.n)).toBeGreaterThanOrEqual(3);
      expect(Number(groups?.rows)).toBeLessThanOrEqual(2_048);
      const [count] = await rows(ws, `SELECT count(*) AS n FROM "${catalog}".main.wide`);
      expect(Number(count?.n)).toBe(5_000);
    });
  });

  test('spills beside the file, where DuckDB would for a file it opens itself, not into the working directory', async () => {
    await load({}, async (ws, _catalog, file) => {
      const [setting] = await rows(ws, `SELECT current_setting('temp_directory') AS dir`);
      expect(setting?.dir).toBe(`${file}.tmp`);
    });
  });

  test('compression: fast (the default) leaves FSST out; small lets DuckDB use it', async () => {
    const methods = (ws: Workspace) =>
      rows(ws, `SELECT DISTINCT compression FROM pragma_storage_info('main.wide') WHERE column_name = 'v'`);
    await load({}, async (ws) => {
      expect((await methods(ws)).map((r) => r.compression)).not.toContain('FSST');
    });
    await load({ compression: 'small' }, async (ws) => {
      expect((await methods(ws)).map((r) => r.compression)).toContain('FSST');
    });
  });
});

describe('typed silver tables', () => {
  test('declared types land as DuckDB types with exact values; undeclared ones are inferred', async () => {
    const p = pipeline([
      {
        name: 'customers',
        endpoint: { path: '/customers' },
        paginator: { type: 'page_number', page_size: 100 },
        schema: {
          id: 'integer',
          balance: 'decimal(12,2)',
          created_at: 'timestamp',
          score: 'double',
          active: 'boolean',
          joined: { type: 'date', from: 'created_at' },
        },
      },
      {
        name: 'events',
        endpoint: { path: '/events' },
        records: 'data.items',
        paginator: { type: 'cursor', cursor_path: 'meta.next_cursor' },
        schema: { ts: 'timestamp' },
      },
    ]);
    const outcomes = await runYaml(tmp.dir, p.yaml);
    expect(outcomes.map((o) => o.status)).toEqual(['SUCCESS', 'SUCCESS']);
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      const types = Object.fromEntries(
        (
          await rows(
            ws,
            `SELECT column_name AS c, data_type AS t FROM information_schema.columns WHERE table_name = 'customers'`,
          )
        ).map((r) => [r.c, r.t]),
      );
      expect(types).toMatchObject({
        id: 'INTEGER',
        balance: 'DECIMAL(12,2)',
        created_at: 'TIMESTAMP WITH TIME ZONE',
        updated_at: 'TIMESTAMP WITH TIME ZONE',
        joined: 'DATE',
        active: 'BOOLEAN',
        score: 'DOUBLE',
        address__geo__lat: 'DOUBLE',
        tags: 'JSON',
        _restlake_loaded_at: 'TIMESTAMP WITH TIME ZONE',
      });
      const c = customer(41);
      const [row] = await rows(
        ws,
        `SELECT balance::VARCHAR AS balance, strftime(created_at, '%Y-%m-%dT%H:%M:%S.000Z') AS created_at, joined::VARCHAR AS joined, address__city, tags::VARCHAR AS tags FROM main.customers WHERE id = 42`,
      );
      expect(row).toEqual({
        balance: c.balance,
        created_at: c.created_at,
        joined: c.created_at.slice(0, 10),
        address__city: c.address.city,
        tags: JSON.stringify(c.tags),
      });
      const [e] = await rows(
        ws,
        `SELECT epoch_ms(ts) AS ts, user__plan FROM main.events WHERE event_id = 100007`,
      );
      expect(e).toEqual({ ts: event(7, 230).ts, user__plan: event(7, 230).user.plan });
    });
  });

  test('a value that does not fit its declared type fails the load naming record, column and value', async () => {
    const p = pipeline([
      { name: 'orders', endpoint: { path: '/orders' }, records: 'results', schema: { status: 'integer' } },
    ]);
    const [outcome] = await runYaml(tmp.dir, p.yaml);
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.error?.message).toMatch(
      new RegExp(`orders, page 0, record 0: cannot cast "${order(0, 230).status}" to integer`),
    );
  });
});

describe('a failing API', () => {
  test('leaves the tables as they were and the control row FAILED with a readable error; secrets stay out', async () => {
    let fail = false;
    const server = await scriptedServer(() =>
      fail ? { status: 503, raw: '<html>Service Unavailable</html>' } : { body: [{ id: 1 }, { id: 2 }] },
    );
    const lines: string[] = [];
    const logger = createLogger({ format: 'json', level: 'debug', write: (line) => lines.push(line) });
    try {
      process.env.RESTLAKE_E2E_SECRET = 'super-secret-token-value-42';
      const p = pipeline([
        {
          name: 'things',
          endpoint: { params: { key: 'k-${env:RESTLAKE_E2E_SECRET}' } },
          primary_key: ['id'],
          write: 'merge',
        },
      ]);
      p.yaml.source = {
        base_url: server.url,
        auth: { type: 'bearer', token: '${env:RESTLAKE_E2E_SECRET}' },
        retry: { max_attempts: 3, initial_delay: 1 },
      } as never;
      await runYaml(tmp.dir, p.yaml, { logger });
      fail = true;
      const [outcome] = await runYaml(tmp.dir, p.yaml, { logger });
      expect(outcome?.status).toBe('FAILED');
      expect(server.requests.at(-1)?.headers.authorization).toBe('Bearer super-secret-token-value-42');
      await withWorkspace(p.destination, tmp.dir, async (ws) => {
        expect(await rows(ws, 'SELECT id FROM main.things ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
        const [load] = await ws.control.loads(p.yaml.id, 1);
        expect(load?.LoadStatus).toBe('FAILED');
        expect(load?.ErrorMessage).toMatch(
          /^GET http:\/\/127\.0\.0\.1:\d+\/\?key=\*\*\* answered 503: <html>Service Unavailable<\/html>$/,
        );
        const [audit] = await ws.control.audits(p.yaml.id, 1);
        expect(audit).toMatchObject({
          LoadStatus: 'FAILED',
          RequestCount: 3,
          RetryCount: 2,
          SourceRowCount: 0,
        });
        const everything = JSON.stringify([
          await rows(ws, `SELECT * FROM bronze.${p.yaml.id}__things`),
          await rows(ws, 'SELECT * FROM metadata.api_control_table'),
          await rows(ws, 'SELECT * FROM metadata.api_audit_table'),
          lines,
        ]);
        expect(everything).toContain('key=***');
        expect(everything).not.toContain('super-secret-token-value-42');
      });
    } finally {
      await server.close();
    }
  });
});
