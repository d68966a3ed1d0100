import { afterAll, beforeAll, expect, test } from 'vitest';
import { duckdbDestination } from '../../src/config/schema.js';
import { openDestination } from '../../src/destinations/registry.js';
import { cli } from '../support/cli.js';
import { describePg, type FreshDatabase, freshDatabase } from '../support/pg.js';
import { startCli, waitFor } from '../support/processes.js';
import { runYaml } from '../support/run.js';
import { type ScriptedServer, scriptedServer } from '../support/scripted-server.js';
import { tempDir, writePipeline } from '../support/workspace.js';

describePg('PostgreSQL destination', () => {
  const tmp = tempDir();
  let db: FreshDatabase;
  let server: ScriptedServer;
  /** Per path: records, page size, delay, and a hook run before a page is answered. */
  const apis = new Map<
    string,
    {
      total: number;
      perPage: number;
      delayMs?: number;
      before?: (page: number) => Promise<void>;
      name?: (id: number) => string;
      extra?: (id: number) => Record<string, unknown>;
    }
  >();

  beforeAll(async () => {
    db = await freshDatabase();
    server = await scriptedServer(async (req) => {
      const api = apis.get(req.path);
      if (!api) return { status: 404, body: { error: 'unknown path' } };
      const page = Number(req.query.get('page') ?? 1);
      await api.before?.(page);
      const first = (page - 1) * api.perPage;
      const count = Math.max(0, Math.min(api.perPage, api.total - first));
      return {
        ...(api.delayMs ? { delayMs: api.delayMs } : {}),
        body: Array.from({ length: count }, (_, i) => {
          const id = first + i + 1;
          const name = api.name?.(id) ?? `name ${id}`;
          return { id, name, amount: `${id}.25`, at: new Date(id * 1000).toISOString(), ...api.extra?.(id) };
        }),
      };
    });
  });
  afterAll(async () => {
    await server?.close();
    await db?.drop();
    tmp.cleanup();
  });

  const pipeline = (
    id: string,
    resource: Record<string, unknown> = {},
    extra: Record<string, unknown> = {},
  ) => ({
    id,
    source: { base_url: server.url, retry: { max_attempts: 1 } },
    resources: [
      {
        name: 'items',
        endpoint: { path: `/${id}` },
        paginator: { type: 'page_number', page_size: apis.get(`/${id}`)?.perPage },
        schema: { id: 'bigint', amount: 'decimal(12,2)', at: 'timestamp' },
        ...resource,
      },
    ],
    destination: { type: 'postgres', url: db.url, schema: id },
    ...extra,
  });

  test('a COPY load of 200k rows lands typed, each row once; the control and audit rows say so', async () => {
    apis.set('/bulk', { total: 200_000, perPage: 5_000 });
    const [outcome] = await runYaml(tmp.dir, pipeline('bulk', { write: 'merge', primary_key: ['id'] }));
    expect(outcome).toMatchObject({
      status: 'SUCCESS',
      sourceRows: 200_000,
      targetRows: 200_000,
      totalRows: 200_000,
    });
    const [row] = await db.query(
      `SELECT count(*) AS n, count(DISTINCT id) AS d, sum(amount)::text AS total, max(at) = to_timestamp(200000) AS at_ok FROM bulk.items`,
    );
    // sum of (id + 0.25) for id = 1..200000
    expect(row).toEqual({ n: '200000', d: '200000', total: '20000150000.00', at_ok: true });
    const types = await db.query(
      `SELECT column_name AS c, data_type AS t FROM information_schema.columns WHERE table_schema = 'bulk' AND table_name = 'items' AND column_name IN ('id', 'name', 'amount', 'at') ORDER BY column_name`,
    );
    expect(types).toEqual([
      { c: 'amount', t: 'numeric' },
      { c: 'at', t: 'timestamp with time zone' },
      { c: 'id', t: 'bigint' },
      { c: 'name', t: 'text' },
    ]);
    const [audit] = await db.query(
      `SELECT LoadStatus AS status, SourceRowCount AS source, TargetTotalRowCount AS total FROM metadata.api_audit_table WHERE ConfigId = 'bulk'`,
    );
    expect(audit).toEqual({ status: 'SUCCESS', source: '200000', total: '200000' });
    const [bronze] = await db.query(
      `SELECT count(*) AS pages, sum(json_array_length(body::json)) AS records FROM bronze.bulk__items`,
    );
    expect(bronze).toEqual({ pages: '41', records: '200000' });
    // Raw pages are compressed with lz4 (this server has it), cheaper to write than the default pglz.
    const [body] = await db.query(
      `SELECT attcompression AS method FROM pg_attribute WHERE attrelid = 'bronze.bulk__items'::regclass AND attname = 'body'`,
    );
    expect(body).toEqual({ method: 'l' });
  });

  test('SELECT ConfigId, LoadType, LoadStatus FROM metadata.api_control_table works as users write it', async () => {
    const rows = await db.query(
      `SELECT ConfigId, LoadType, LoadStatus FROM metadata.api_control_table WHERE ConfigId = 'bulk' ORDER BY IndexNo`,
    );
    // PostgreSQL folds unquoted names to lower case, in the result's keys too.
    expect(rows).toEqual([
      { configid: 'bulk', loadtype: 'FULL_LOAD', loadstatus: 'SUCCESS' },
      { configid: 'bulk', loadtype: 'FULL_LOAD', loadstatus: 'PENDING' },
    ]);
    const status = await cli(['status', 'bulk', '-f', 'bulk.yaml'], { cwd: tmp.dir });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/bulk\s+items\s+FULL_LOAD\s+SUCCESS/);
    const query = await cli(
      [
        'query',
        '-f',
        'bulk.yaml',
        '--json',
        'SELECT ConfigId, count(*) AS n FROM metadata.api_control_table GROUP BY 1',
      ],
      { cwd: tmp.dir },
    );
    expect(query.stdout.trim()).toBe('{"configid":"bulk","n":2}');
  });

  test('a merged table gets an index on its key, which a replace keeps through the swap; the merge uses it', async () => {
    apis.set('/keyed', { total: 3_000, perPage: 1_000 });
    const indexes = () =>
      db.query<{ name: string; def: string }>(
        `SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE schemaname = 'keyed' AND tablename = 'items'`,
      );
    for (const write of ['replace', 'replace', 'merge', 'replace', 'merge']) {
      const [outcome] = await runYaml(tmp.dir, pipeline('keyed', { write, primary_key: ['id'] }));
      expect(outcome, write).toMatchObject({ status: 'SUCCESS', totalRows: 3_000 });
      const found = await indexes();
      expect(found, `after ${write}`).toHaveLength(1);
      expect(found[0]!.name).toMatch(/^_rl_key_\d+$/);
      expect(found[0]!.def).toMatch(/\(id\)$/);
    }
    // The load analyzed the table, so the planner knows a key matches one row.
    const plan = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN DELETE FROM keyed.items WHERE id = 5`);
    expect(plan.map((p) => p['QUERY PLAN']).join('\n')).toMatch(/Index Scan using _rl_key_/);
  });

  test('a load that grows a merged table takes its statistics again, so the planner knows its size', async () => {
    apis.set('/grown', { total: 25_000, perPage: 5_000 });
    const [outcome] = await runYaml(
      tmp.dir,
      pipeline('grown', { write: 'replace', primary_key: ['id'] }, { batch_size: 5_000 }),
    );
    expect(outcome).toMatchObject({ status: 'SUCCESS', totalRows: 25_000 });
    // Analyzed when its staging table was empty, then at 10k and 20k rows written; 0 without the re-analysis.
    const [stats] = await db.query<{ n: number }>(
      `SELECT reltuples AS n FROM pg_class WHERE oid = 'grown.items'::regclass`,
    );
    expect(Number(stats?.n)).toBeGreaterThanOrEqual(10_000);
  });

  test('a U+0000 in a value (which PostgreSQL text cannot hold) lands as U+FFFD; the rest of the value stays', async () => {
    apis.set('/nul', { total: 3, perPage: 10, name: (id) => `a\u0000b ${id} \u0000` });
    const [outcome] = await runYaml(tmp.dir, pipeline('nul'));
    expect(outcome).toMatchObject({ status: 'SUCCESS', totalRows: 3 });
    const rows = await db.query<{ name: string }>(`SELECT name FROM nul.items ORDER BY id`);
    expect(rows.map((r) => r.name)).toEqual(['a\uFFFDb 1 \uFFFD', 'a\uFFFDb 2 \uFFFD', 'a\uFFFDb 3 \uFFFD']);
  });

  test('a bronze column a user gave another type fails the load, naming it, and leaves the tables as they were', async () => {
    apis.set('/retyped', { total: 3, perPage: 10 });
    const [first] = await runYaml(tmp.dir, pipeline('retyped', { write: 'merge', primary_key: ['id'] }));
    expect(first).toMatchObject({ status: 'SUCCESS', totalRows: 3 });
    // Pages are loaded in PostgreSQL's binary format, whose integers have one width per type.
    await db.query('ALTER TABLE bronze.retyped__items ALTER COLUMN page_index TYPE BIGINT');
    apis.set('/retyped', { total: 5, perPage: 10 });
    const [failed] = await runYaml(tmp.dir, pipeline('retyped', { write: 'merge', primary_key: ['id'] }));
    expect(failed?.status).toBe('FAILED');
    expect(failed?.error?.message).toContain(
      '"bronze"."retyped__items"."page_index" is BIGINT where restlake writes INTEGER; give it that type again',
    );
    expect(await db.query('SELECT count(*)::int AS n FROM retyped.items')).toEqual([{ n: 3 }]);
    expect(await db.query('SELECT count(*)::int AS n FROM bronze.retyped__items')).toEqual([{ n: 1 }]);
    await db.query('ALTER TABLE bronze.retyped__items ALTER COLUMN page_index TYPE INTEGER');
    const [fixed] = await runYaml(tmp.dir, pipeline('retyped', { write: 'merge', primary_key: ['id'] }));
    expect(fixed).toMatchObject({ status: 'SUCCESS', totalRows: 5 });
  });

  test('a table wider than 1,600 columns fails before anything is written, naming the object to keep as JSON', async () => {
    // Scores keyed by user id: every key a column of its own once flattened.
    const scores = (id: number) =>
      Object.fromEntries(Array.from({ length: 900 }, (_, i) => [`user_${id * 1000 + i}`, i]));
    apis.set('/wide', { total: 2, perPage: 10, extra: (id) => ({ stats: { scores: scores(id) } }) });
    const [failed] = await runYaml(tmp.dir, pipeline('wide'));
    expect(failed?.status).toBe('FAILED');
    expect(failed?.error?.message).toContain('"wide"."items" would have 1808 columns, more than the 1600');
    expect(failed?.error?.message).toContain('the object at "stats.scores" alone makes 1800 of them');
    expect(failed?.error?.message).toContain('schema: { stats__scores: json }');
    expect(
      await db.query(`SELECT 1 FROM pg_tables WHERE schemaname = 'wide' AND tablename = 'items'`),
    ).toEqual([]);
    // Done as the message says, the load succeeds.
    const [fixed] = await runYaml(
      tmp.dir,
      pipeline('wide', { schema: { id: 'bigint', stats__scores: 'json' } }),
    );
    expect(fixed).toMatchObject({ status: 'SUCCESS', totalRows: 2 });
  });

  test('data and checkpoint commit together: SIGKILL between batches, the rerun has exactly the expected rows', async () => {
    apis.set('/atomic', { total: 1_000, perPage: 50, delayMs: 100 });
    const file = writePipeline(
      tmp.dir,
      'atomic.yaml',
      // One request at a time: no page is fetched ahead, so the request count of the rerun is exact.
      pipeline(
        'atomic',
        { write: 'append' },
        { batch_size: 50, source: { base_url: server.url, retry: { max_attempts: 1 }, max_concurrency: 1 } },
      ),
    );
    const doomed = startCli(['run', file, '--log-level', 'warn'], { cwd: tmp.dir });
    await waitFor('two committed batches', async () => {
      const [cp] = await db.query<{ checkpoint: string }>(
        `SELECT Checkpoint AS checkpoint FROM metadata.api_checkpoint WHERE LoadKey LIKE 'atomic/%'`,
      );
      return cp && (JSON.parse(cp.checkpoint) as { pages: number }).pages >= 2;
    });
    doomed.child.kill('SIGKILL');
    expect((await doomed.done).signal).toBe('SIGKILL');
    const [state] = await db.query<{ n: string; checkpoint: string }>(
      `SELECT (SELECT count(*) FROM atomic.items) AS n, (SELECT Checkpoint FROM metadata.api_checkpoint WHERE LoadKey LIKE 'atomic/%') AS checkpoint`,
    );
    const committedPages = (JSON.parse(state!.checkpoint) as { pages: number }).pages;
    expect(Number(state!.n), 'the rows are exactly those of the checkpointed pages').toBe(
      committedPages * 50,
    );

    // The dead run was a process of this machine: the rerun takes its load over without waiting for its lease.
    const requestsBefore = server.requests.filter((r) => r.path === '/atomic').length;
    const rerun = await cli(['run', file], { cwd: tmp.dir });
    expect(rerun.code, rerun.stderr).toBe(0);
    const [items] = await db.query(
      `SELECT count(*) AS n, count(DISTINCT id) AS d, min(id) AS lo, max(id) AS hi FROM atomic.items`,
    );
    expect(items).toEqual({ n: '1000', d: '1000', lo: '1', hi: '1000' });
    expect(
      server.requests.filter((r) => r.path === '/atomic').length - requestsBefore,
      'the rerun fetched only the pages after the checkpoint (and the empty last one)',
    ).toBe(21 - committedPages);
  });

  test('a connection dropped between batches (pg_terminate_backend) is replaced: the load continues', async () => {
    let terminated = 0;
    apis.set('/dropped', {
      total: 200,
      perPage: 50,
      async before(page) {
        if (page !== 3) return;
        await waitFor(
          'page 2 committed and mirrored',
          async () =>
            (
              await db.query(
                `SELECT 1 FROM metadata.api_control_table WHERE ConfigId = 'dropped' AND Checkpoint LIKE '%"pages":2%'`,
              )
            ).length > 0,
        );
        const killed = await db.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
        );
        await db.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
        );
        terminated = killed.length;
        await waitFor(
          'the sessions to end',
          async () =>
            Number(
              (
                await db.query<{ n: string }>(
                  `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
                )
              )[0]?.n,
            ) === 0,
        );
      },
    });
    const [outcome] = await runYaml(tmp.dir, pipeline('dropped', { write: 'append' }, { batch_size: 50 }));
    expect(terminated, 'the pipeline had sessions open to terminate').toBeGreaterThan(0);
    expect(outcome, outcome?.error?.message).toMatchObject({ status: 'SUCCESS', totalRows: 200 });
    const [items] = await db.query(`SELECT count(*) AS n, count(DISTINCT id) AS d FROM dropped.items`);
    expect(items).toEqual({ n: '200', d: '200' });
  });

  test('the control plane can live apart from the data: DuckDB tables, PostgreSQL control and audit tables', async () => {
    apis.set('/apart', { total: 30, perPage: 10 });
    const yaml = {
      ...pipeline('apart'),
      destination: { type: 'duckdb', path: './apart.duckdb' },
      control: { type: 'postgres', url: db.url },
    };
    const [outcome] = await runYaml(tmp.dir, yaml);
    expect(outcome).toMatchObject({ status: 'SUCCESS', totalRows: 30 });
    expect(
      await db.query(
        `SELECT ConfigId AS id, LoadStatus AS status, TargetTable AS t FROM metadata.api_control_table WHERE ConfigId = 'apart' ORDER BY IndexNo`,
      ),
    ).toEqual([
      { id: 'apart', status: 'SUCCESS', t: 'items' },
      { id: 'apart', status: 'PENDING', t: 'items' },
    ]);
    const duckdb = await openDestination(
      duckdbDestination.parse({ type: 'duckdb', path: './apart.duckdb' }),
      tmp.dir,
    );
    try {
      const sql = duckdb.sql();
      expect(await sql.query(`SELECT count(*) AS n FROM main.items`)).toEqual([{ n: 30 }]);
      expect(
        await sql.query(
          `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'metadata' ORDER BY 1`,
        ),
        'the checkpoint and the schema history stay with the data (they commit with it); the control tables do not',
      ).toEqual([{ t: 'api_checkpoint' }, { t: 'api_schema_history' }, { t: 'restlake_migrations' }]);
    } finally {
      await duckdb.close();
    }
  });

  test('discrete connection fields with the password from the environment; the password goes nowhere', async () => {
    apis.set('/discrete', { total: 5, perPage: 10 });
    process.env.RL_TEST_PG_PASSWORD = 'pg-pass-31415926';
    const yaml = {
      ...pipeline('discrete'),
      destination: {
        type: 'postgres',
        host: '127.0.0.1',
        port: 5432,
        database: db.name,
        user: db.user,
        password: '${env:RL_TEST_PG_PASSWORD}',
        statement_timeout: '30s',
        pool_size: 2,
        schema: 'discrete',
      },
    };
    const [outcome] = await runYaml(tmp.dir, yaml);
    expect(outcome).toMatchObject({ status: 'SUCCESS', totalRows: 5 });
    const [load] = await db.query(
      `SELECT TargetCatalog AS catalog, TargetSchema AS schema FROM metadata.api_control_table WHERE ConfigId = 'discrete' LIMIT 1`,
    );
    expect(load).toEqual({ catalog: db.name, schema: 'discrete' });
    const everything = JSON.stringify(
      await db.query(
        `SELECT (SELECT json_agg(c) FROM metadata.api_control_table c) AS control, (SELECT json_agg(a) FROM metadata.api_audit_table a) AS audit`,
      ),
    );
    expect(everything).not.toContain('pg-pass-31415926');
  });

  test('an unreachable server exits 5 naming the host, never the password', async () => {
    const file = writePipeline(tmp.dir, 'unreachable.yaml', {
      ...pipeline('unreachable'),
      destination: { type: 'postgres', url: 'postgres://loader:pw-9f8e7d6c@127.0.0.1:1/nowhere' },
    });
    const result = await cli(['run', file], { cwd: tmp.dir });
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/cannot connect to PostgreSQL at 127\.0\.0\.1:1\/nowhere/);
    expect(result.stderr + result.stdout).not.toContain('pw-9f8e7d6c');
  });
});

describePg('PostgreSQL migrations', () => {
  let db: FreshDatabase;
  const tmp = tempDir();
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await db?.drop();
    tmp.cleanup();
  });

  test('4 processes starting at once against a fresh database apply each migration exactly once, and plan once', async () => {
    const file = writePipeline(tmp.dir, 'race.yaml', {
      id: 'race',
      source: { base_url: 'http://127.0.0.1:9' },
      resources: [
        { name: 'a', endpoint: {} },
        { name: 'b', endpoint: {} },
      ],
      destination: { type: 'postgres', url: db.url },
    });
    const results = await Promise.all(Array.from({ length: 4 }, () => cli(['plan', file], { cwd: tmp.dir })));
    for (const result of results) expect(result, result.stderr).toMatchObject({ code: 0, stderr: '' });
    const migrations = await db.query(
      `SELECT Scope AS scope, Version AS version, count(*)::int AS n FROM metadata.restlake_migrations GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    expect(migrations.length).toBeGreaterThanOrEqual(2);
    expect(migrations.every((m) => m.n === 1)).toBe(true);
    expect(
      await db.query(
        `SELECT ResourceName AS r, count(*)::int AS n FROM metadata.api_control_table GROUP BY 1 ORDER BY 1`,
      ),
      'each resource planned once, whoever got there first',
    ).toEqual([
      { r: 'a', n: 1 },
      { r: 'b', n: 1 },
    ]);
    expect(results.filter((r) => /planned/.test(r.stdout)).length).toBeGreaterThanOrEqual(1);
  });
});
