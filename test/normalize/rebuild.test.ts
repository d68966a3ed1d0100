import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadPipelineFile } from '../../src/config/load.js';
import { rebuildPipeline } from '../../src/pipeline/rebuild.js';
import { cli } from '../support/cli.js';
import { faultDestinations } from '../support/fault-destinations.js';
import { rows, runYaml, withWorkspace } from '../support/run.js';
import { pagesOf, type ScriptedServer, scriptedServer } from '../support/scripted-server.js';
import { tempDir, writePipeline } from '../support/workspace.js';
import { columnTypes, localPipeline } from './support.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

interface Order {
  id: number;
  amount: string;
  placedAt: string;
  customer: { name: string; tier?: string };
  lines: { sku: string; qty: number; tags: string[] }[];
}

const order = (id: number, version: number, lines: number): Order => ({
  id,
  amount: `${id * 10 + version}.50`,
  placedAt: `2024-0${(id % 9) + 1}-0${version + 1}T10:00:00Z`,
  customer: { name: `c${id}`, ...(version > 0 ? { tier: 'gold' } : {}) },
  lines: Array.from({ length: lines }, (_, i) => ({
    sku: `s${id}-${i}-v${version}`,
    qty: i + version,
    tags: [`t${i}`],
  })),
});

let data: Order[] = [];
let server: ScriptedServer;
beforeAll(async () => {
  server = await scriptedServer((req) => ({ body: pagesOf(data, 3)(Number(req.query.get('page'))) }));
});
afterAll(() => server.close());
afterAll(async () => {
  for (const destination of faultDestinations()) await destination.cleanup();
});

function pipeline(resource: Record<string, unknown> = {}, destination?: Record<string, unknown>) {
  const base = {
    name: 'orders',
    endpoint: {},
    paginator: { type: 'page_number', page_size: 3 },
    primary_key: ['id'],
    write: 'merge',
    nested: [{ path: 'lines', table: 'order_lines', nested: [{ path: 'tags', table: 'line_tags' }] }],
  };
  const extra = { batch_size: 7, ...(destination ? { destination } : {}) };
  return localPipeline(tmp.dir, 'rebuild', server.url, { ...base, ...resource }, extra);
}

type Ws = Parameters<Parameters<typeof withWorkspace>[2]>[0];
/** Every row of every silver table, without the two columns that say when and by which run it was written. */
async function snapshot(ws: Ws) {
  const tables = ['orders', 'order_lines', 'line_tags'];
  const result: Record<string, unknown[]> = {};
  for (const table of tables) {
    const columns = Object.keys(await columnTypes(ws, table)).filter(
      (c) => c !== '_restlake_run_id' && c !== '_restlake_loaded_at',
    );
    const order = columns.map((c) => `CAST("${c}" AS VARCHAR)`).join(', ');
    result[table] = await rows(
      ws,
      `SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM main.${table} ORDER BY ${order}`,
    );
  }
  return result;
}

describe('restlake rebuild', () => {
  test.each(faultDestinations().filter((d) => !d.skip))(
    're-derives silver and its child tables from bronze exactly, without calling the API ($name)',
    async (destination) => {
      const p = pipeline({}, await destination.prepare(`rebuild_exact_${destination.name}`));
      data = [1, 2, 3, 4, 5, 6, 7].map((id) => order(id, 0, 2));
      await runYaml(tmp.dir, p.yaml);
      // Later loads change some orders' lines (fewer, more) and add orders.
      data = [order(2, 1, 0), order(3, 1, 4), order(8, 0, 1)];
      await runYaml(tmp.dir, p.yaml);
      data = [order(3, 2, 1), order(9, 0, 3)];
      await runYaml(tmp.dir, p.yaml);

      const before = await withWorkspace(p.destination, tmp.dir, snapshot);
      expect(before.orders).toHaveLength(9);
      const requests = server.requests.length;
      const [outcome] = await rebuildPipeline(loadPipelineFile(p.file), p.yaml.id);
      expect(outcome).toMatchObject({ status: 'SUCCESS', totalRows: 9, pages: 3 + 2 + 1 });
      expect(server.requests.length, 'the API was not called').toBe(requests);
      await withWorkspace(p.destination, tmp.dir, async (ws) => {
        expect(await snapshot(ws)).toEqual(before);
        const [load] = await ws.control.loads(p.yaml.id, 1);
        expect(load).toMatchObject({ LoadType: 'REBUILD', LoadStatus: 'SUCCESS' });
        const [audit] = await ws.control.audits(p.yaml.id, 1);
        expect(audit).toMatchObject({
          LoadType: 'REBUILD',
          LoadStatus: 'SUCCESS',
          RequestCount: 0,
          SourceRowCount: 12,
        });
        expect(await rows(ws, `SELECT DISTINCT _restlake_run_id AS run FROM main.orders`)).toEqual([
          { run: load!.LastJobRunId },
        ]);
        const [bronze] = await rows(ws, `SELECT count(*) AS n FROM bronze.${p.yaml.id}__orders`);
        expect(bronze, 'a rebuild writes no bronze').toEqual({ n: 6 });
      });
      // The scheduled loads carry on after a rebuild.
      const [next] = await runYaml(tmp.dir, p.yaml);
      expect(next).toMatchObject({ status: 'SUCCESS', totalRows: 9 });
      expect(next!.row.LoadType).toBe('FULL_LOAD');
    },
  );

  test('after a schema change, the rebuilt tables have the new types and flattening', async () => {
    const p = pipeline();
    data = [1, 2, 3, 4].map((id) => order(id, 1, 1));
    await runYaml(tmp.dir, p.yaml);
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      expect(
        await rows(
          ws,
          `SELECT data_type AS t FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'amount'`,
        ),
      ).toEqual([{ t: 'VARCHAR' }]);
    });
    const changed = pipeline({
      schema: { amount: 'decimal(10,2)', placed_at: 'date', customer: 'json' },
      nested: [{ path: 'lines', table: 'order_lines', schema: { qty: 'double' } }],
    });
    const file = writePipeline(tmp.dir, 'changed.yaml', {
      ...changed.yaml,
      id: p.yaml.id,
      destination: p.destination,
    });
    const [outcome] = await rebuildPipeline(loadPipelineFile(file), `${p.yaml.id}.orders`);
    expect(outcome).toMatchObject({ status: 'SUCCESS', totalRows: 4 });
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      const types = Object.fromEntries(
        (
          await rows(
            ws,
            `SELECT table_name || '.' || column_name AS c, data_type AS t FROM information_schema.columns WHERE table_name IN ('orders', 'order_lines')`,
          )
        ).map((r) => [r.c, r.t]),
      );
      expect(types).toMatchObject({
        'orders.amount': 'DECIMAL(10,2)',
        'orders.placed_at': 'DATE',
        'orders.customer': 'JSON',
        'order_lines.qty': 'DOUBLE',
      });
      expect(types).not.toHaveProperty('orders.customer__name');
      expect(
        await rows(
          ws,
          `SELECT id, amount::VARCHAR AS amount, placed_at::VARCHAR AS placed_at, customer::VARCHAR AS customer FROM main.orders WHERE id = 2`,
        ),
      ).toEqual([
        { id: 2, amount: '21.50', placed_at: '2024-03-02', customer: '{"name":"c2","tier":"gold"}' },
      ]);
    });
  });

  test('a replace resource is rebuilt from its latest successful load only', async () => {
    const p = pipeline({ write: 'replace', primary_key: undefined, nested: [] });
    data = [order(1, 0, 0), order(2, 0, 0)];
    await runYaml(tmp.dir, p.yaml);
    data = [order(5, 0, 0)];
    await runYaml(tmp.dir, p.yaml);
    const [outcome] = await rebuildPipeline(loadPipelineFile(p.file), p.yaml.id);
    expect(outcome).toMatchObject({ status: 'SUCCESS', totalRows: 1, pages: 1 });
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      expect(await rows(ws, 'SELECT id FROM main.orders')).toEqual([{ id: 5 }]);
    });
  });

  test('--from merges only the pages fetched since then; it is refused for a replace resource', async () => {
    const p = pipeline();
    data = [order(1, 0, 1), order(2, 0, 1)];
    await runYaml(tmp.dir, p.yaml);
    const [{ since }] = (await withWorkspace(p.destination, tmp.dir, (ws) =>
      rows(ws, `SELECT max(fetched_at) + INTERVAL 1 millisecond AS since FROM bronze.${p.yaml.id}__orders`),
    )) as [{ since: Date }];
    data = [order(2, 1, 2)];
    await runYaml(tmp.dir, p.yaml);
    const [outcome] = await rebuildPipeline(loadPipelineFile(p.file), p.yaml.id, { from: since });
    expect(outcome).toMatchObject({ status: 'SUCCESS', totalRows: 2, pages: 1, sourceRows: 1 });

    const replace = pipeline({ write: 'replace' });
    await expect(
      rebuildPipeline(loadPipelineFile(replace.file), replace.yaml.id, { from: since }),
    ).rejects.toThrow(/--from merges the pages .* orders is rebuilt whole: drop --from/);
  });

  test('the CLI: --help has an example; an unknown resource is a usage error (exit 2)', async () => {
    const help = await cli(['rebuild', '--help'], { cwd: tmp.dir });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/restlake rebuild shop -f shop\.yaml/);
    const p = pipeline();
    const bad = await cli(['rebuild', `${p.yaml.id}.nope`, '-f', p.file], { cwd: tmp.dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/has no resource "nope"; it has orders/);
    data = [order(1, 0, 1)];
    await runYaml(tmp.dir, p.yaml);
    const ok = await cli(['rebuild', p.yaml.id, '-f', p.file], { cwd: tmp.dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/REBUILD\s+SUCCESS/);
  });

  test('a windowed child resource: window columns and parent fields come back from bronze too', async () => {
    const api = await scriptedServer((req) => {
      if (req.path === '/accounts')
        return {
          body: [
            { id: 'a1', name: 'Ann' },
            { id: 'b2', name: 'Bob' },
          ],
        };
      const day = req.query.get('from')!.slice(0, 10);
      const at = req.query.get('from');
      return {
        body: [{ id: `${req.query.get('account')}-${day}`, amount: day.endsWith('2') ? 2 : 1.5, at }],
      };
    });
    try {
      const p = localPipeline(tmp.dir, 'windowed', api.url, {
        name: 'payments',
        parent: 'accounts',
        endpoint: { path: '/payments', params: { account: '{parent.id}', from: '{window.start}' } },
        parent_fields: ['id', 'name'],
        primary_key: ['id'],
        write: 'merge',
        window: { every: 'daily' },
        incremental: { cursor_field: 'at', start: '2024-01-01T00:00:00Z', end: '2024-01-03T00:00:00Z' },
      });
      p.yaml.resources.unshift({
        name: 'accounts',
        endpoint: { path: '/accounts' },
        primary_key: ['id'],
        write: 'merge',
      });
      const file = writePipeline(tmp.dir, `${p.id}.yaml`, p.yaml);
      const outcomes = await runYaml(tmp.dir, p.yaml);
      expect(outcomes.map((o) => o.error?.message ?? o.status)).toEqual(['SUCCESS', 'SUCCESS']);
      const query = `SELECT * EXCLUDE (_restlake_run_id, _restlake_loaded_at) FROM main.payments ORDER BY ALL`;
      const before = await withWorkspace(p.destination, tmp.dir, (ws) => rows(ws, query));
      expect(before).toHaveLength(4);
      expect(before[0]).toMatchObject({
        _parent_id: 'a1',
        _parent_name: 'Ann',
        id: 'a1-2024-01-01',
        _restlake_window_start: new Date('2024-01-01T00:00:00Z'),
        _restlake_window_end: new Date('2024-01-02T00:00:00Z'),
      });
      const [outcome] = await rebuildPipeline(loadPipelineFile(file), `${p.id}.payments`);
      expect(outcome).toMatchObject({ status: 'SUCCESS', totalRows: 4 });
      await withWorkspace(p.destination, tmp.dir, async (ws) =>
        expect(await rows(ws, query)).toEqual(before),
      );
    } finally {
      await api.close();
    }
  });
});
