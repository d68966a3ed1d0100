import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { rows, runYaml, withWorkspace } from '../support/run.js';
import { type ScriptedServer, scriptedServer } from '../support/scripted-server.js';
import { tempDir } from '../support/workspace.js';
import { columnTypes, localPipeline } from './support.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** Pages served by page number, replaced by each test. */
let pages: unknown[][] = [];
let server: ScriptedServer;
beforeAll(async () => {
  server = await scriptedServer((req) => ({ body: pages[Number(req.query.get('page')) - 1] ?? [] }));
});
afterAll(() => server.close());

function pipeline(resource: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const base = { name: 'items', endpoint: {}, paginator: { type: 'page_number' } };
  return localPipeline(tmp.dir, 'cast', server.url, { ...base, ...resource }, extra);
}

describe('every declared type, as the database stores it', () => {
  test('string, integer, bigint, double, boolean, timestamp (ISO, epoch s/ms), date, decimal, json; from, default', async () => {
    pages = [
      [
        {
          s: 12,
          i: '42',
          b: 9_007_199_254_740_991,
          d: '1.25',
          flag: 'TRUE',
          iso: '2024-03-01T10:00:00+02:00',
          secs: 1_709_287_200,
          ms: 1_709_287_200_123,
          day: '2024-03-01T23:30:00Z',
          amount: '1234.56',
          doc: { a: [1, 2] },
          meta: { created: '2024-02-29' },
        },
      ],
    ];
    const p = pipeline({
      schema: {
        s: 'string',
        i: 'integer',
        b: 'bigint',
        d: 'double',
        flag: 'boolean',
        iso: 'timestamp',
        secs: 'timestamp',
        ms: 'timestamp',
        day: 'date',
        amount: 'decimal(10,2)',
        doc: 'json',
        created: { type: 'date', from: 'meta.created' },
        region: { type: 'string', default: 'eu' },
      },
    });
    const [outcome] = await runYaml(tmp.dir, p.yaml);
    expect(outcome?.status).toBe('SUCCESS');
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      expect(await columnTypes(ws, 'items')).toMatchObject({
        s: 'VARCHAR',
        i: 'INTEGER',
        b: 'BIGINT',
        d: 'DOUBLE',
        flag: 'BOOLEAN',
        iso: 'TIMESTAMP WITH TIME ZONE',
        secs: 'TIMESTAMP WITH TIME ZONE',
        ms: 'TIMESTAMP WITH TIME ZONE',
        day: 'DATE',
        amount: 'DECIMAL(10,2)',
        doc: 'JSON',
        created: 'DATE',
        region: 'VARCHAR',
      });
      const [row] = await rows(
        ws,
        `SELECT s, i, b::VARCHAR AS b, d, flag, epoch_ms(iso) AS iso, epoch_ms(secs) AS secs, epoch_ms(ms) AS ms,
                day::VARCHAR AS day, amount::VARCHAR AS amount, doc::VARCHAR AS doc, created::VARCHAR AS created, region
         FROM main.items`,
      );
      expect(row).toEqual({
        s: '12',
        i: 42,
        b: '9007199254740991',
        d: 1.25,
        flag: true,
        iso: Date.parse('2024-03-01T08:00:00Z'),
        secs: 1_709_287_200_000,
        ms: 1_709_287_200_123,
        day: '2024-03-01',
        amount: '1234.56',
        doc: '{"a":[1,2]}',
        created: '2024-02-29',
        region: 'eu',
      });
    });
  });
});

describe('on_cast_error', () => {
  const records = [
    { id: 1, qty: 3, price: '1.50' },
    { id: 2, qty: 'lots', price: '2.00' },
    { id: 3, qty: 4, price: 'free' },
    { id: 4, qty: 'few', price: '3.00' },
  ];
  const schema = { id: 'bigint', qty: 'integer', price: 'decimal(6,2)' };

  test('fail: the load fails naming the record, column and value; nothing of the batch is written', async () => {
    pages = [records];
    const p = pipeline({ schema });
    const [outcome] = await runYaml(tmp.dir, p.yaml);
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.error?.message).toBe(
      'items, page 0, record 1: cannot cast "lots" to integer (column "qty")',
    );
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      expect(
        await rows(ws, `SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'items'`),
      ).toEqual([{ n: 0 }]);
    });
  });

  test('null: the values become NULL, and the audit row counts them per column', async () => {
    pages = [records];
    const p = pipeline({ schema, on_cast_error: 'null' });
    const [outcome] = await runYaml(tmp.dir, p.yaml);
    expect(outcome).toMatchObject({ status: 'SUCCESS', totalRows: 4 });
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      expect(await rows(ws, 'SELECT id, qty, price::VARCHAR AS price FROM main.items ORDER BY id')).toEqual([
        { id: 1, qty: 3, price: '1.50' },
        { id: 2, qty: null, price: '2.00' },
        { id: 3, qty: 4, price: null },
        { id: 4, qty: null, price: '3.00' },
      ]);
      const [audit] = await ws.control.audits(p.yaml.id, 1);
      expect(JSON.parse(audit!.CastErrors!)).toEqual({ 'items.qty': 2, 'items.price': 1 });
      expect(audit!.QuarantinedCount).toBe(0);
    });
  });

  test('quarantine: bad records go to items__rejected with the reason, run id and page; the rest load', async () => {
    pages = [records.slice(0, 2), records.slice(2)];
    const p = pipeline({ schema, on_cast_error: 'quarantine', primary_key: ['id'], write: 'merge' });
    const [outcome] = await runYaml(tmp.dir, p.yaml);
    expect(outcome).toMatchObject({ status: 'SUCCESS', totalRows: 1 });
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      expect(await rows(ws, 'SELECT id FROM main.items')).toEqual([{ id: 1 }]);
      const rejected = await rows(
        ws,
        `SELECT _restlake_page AS page, table_name, column_name, value, reason, record::VARCHAR AS record,
                _restlake_run_id AS run FROM main.items__rejected ORDER BY record`,
      );
      const run = outcome!.row.LastJobRunId;
      expect(rejected).toEqual([
        {
          page: 0,
          table_name: 'items',
          column_name: 'qty',
          value: 'lots',
          reason: 'cannot cast "lots" to integer',
          record: JSON.stringify(records[1]),
          run,
        },
        {
          page: 1,
          table_name: 'items',
          column_name: 'price',
          value: 'free',
          reason: 'cannot cast "free" to decimal(6,2)',
          record: JSON.stringify(records[2]),
          run,
        },
        {
          page: 1,
          table_name: 'items',
          column_name: 'qty',
          value: 'few',
          reason: 'cannot cast "few" to integer',
          record: JSON.stringify(records[3]),
          run,
        },
      ]);
      const [audit] = await ws.control.audits(p.yaml.id, 1);
      expect(audit).toMatchObject({ QuarantinedCount: 3 });
      expect(JSON.parse(audit!.CastErrors!)).toEqual({ 'items.qty': 2, 'items.price': 1 });
    });
  });

  test('a required column without a value is rejected like a bad value', async () => {
    pages = [[{ id: 1, sku: 'a' }, { id: 2 }]];
    const p = pipeline({ schema: { sku: { type: 'string', required: true } }, on_cast_error: 'quarantine' });
    await runYaml(tmp.dir, p.yaml);
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      expect(await rows(ws, 'SELECT id, sku FROM main.items')).toEqual([{ id: 1, sku: 'a' }]);
      expect(await rows(ws, 'SELECT reason FROM main.items__rejected')).toEqual([
        { reason: 'required column "sku" has no value' },
      ]);
    });
  });
});

describe('inference across pages, batches and runs', () => {
  test('a column widens across batches; a conflict that cannot widen becomes string, never a crash', async () => {
    pages = [
      [{ id: 1, n: 1, when: '2024-01-01', v: true, tags: [1] }],
      [{ id: 2, n: 2.5, when: '2024-01-02T10:00:00Z', v: 7, tags: 'none' }],
    ];
    const p = pipeline({}, { batch_size: 1 });
    const [first] = await runYaml(tmp.dir, p.yaml);
    expect(first?.status).toBe('SUCCESS');
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      expect(await columnTypes(ws, 'items')).toMatchObject({
        n: 'DOUBLE',
        when: 'TIMESTAMP WITH TIME ZONE',
        v: 'VARCHAR',
        tags: 'VARCHAR',
      });
      expect(
        await rows(ws, `SELECT id, n, epoch_ms("when") AS w, v, tags FROM main.items ORDER BY id`),
      ).toEqual([
        { id: 1, n: 1, w: Date.parse('2024-01-01T00:00:00Z'), v: 'true', tags: '[1]' },
        { id: 2, n: 2.5, w: Date.parse('2024-01-02T10:00:00Z'), v: '7', tags: 'none' },
      ]);
    });

    // A later run whose data says bigint, boolean and JSON for columns the table already holds wider.
    pages = [[{ id: 3, n: 4, when: '2024-01-03', v: false, tags: [2, 3] }]];
    const [second] = await runYaml(tmp.dir, {
      ...p.yaml,
      resources: [{ ...p.yaml.resources[0]!, write: 'append' }],
    });
    expect(second?.status).toBe('SUCCESS');
    // And one whose data disagrees with the table in a way that cannot widen: the column becomes text.
    pages = [[{ id: 'x-4', n: 'many', when: 'soon', v: 'maybe', tags: { a: 1 } }]];
    const [third] = await runYaml(tmp.dir, {
      ...p.yaml,
      resources: [{ ...p.yaml.resources[0]!, write: 'append' }],
    });
    expect(third?.status).toBe('SUCCESS');
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      expect(await columnTypes(ws, 'items')).toMatchObject({ id: 'VARCHAR', n: 'VARCHAR', when: 'VARCHAR' });
      expect(
        await rows(ws, `SELECT id, n, v, tags__a FROM main.items ORDER BY _restlake_loaded_at, id`),
      ).toEqual([
        { id: '1', n: '1.0', v: 'true', tags__a: null },
        { id: '2', n: '2.5', v: '7', tags__a: null },
        { id: '3', n: '4.0', v: 'false', tags__a: null },
        { id: 'x-4', n: 'many', v: 'maybe', tags__a: 1 },
      ]);
    });
  });
});
