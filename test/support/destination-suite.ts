import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { rows, runYaml, withWorkspace } from './run.js';
import { type Reply, type ScriptedServer, scriptedServer } from './scripted-server.js';
import { tempDir } from './workspace.js';

/** A destination under test: a fresh config per pipeline, and how to tear everything down. */
export interface DestinationUnderTest {
  /** The `destination:` of a new pipeline file; `n` makes it distinct where the destination needs that. */
  destination(n: number): Record<string, unknown>;
  /** The silver schema the config of pipeline `n` writes to. */
  schema(n: number): string;
  cleanup?(): Promise<void>;
}

/**
 * The destination conformance suite: the same pipelines, run against every destination by a few lines each,
 * must leave the same rows. Values are compared as text or numbers so the assertions hold on every database.
 */
export function destinationConformance(name: string, setup: () => Promise<DestinationUnderTest>): void {
  describe(`destination conformance: ${name}`, () => {
    const tmp = tempDir();
    let dut: DestinationUnderTest;
    let server: ScriptedServer;
    /** What the API answers next: set by each test. */
    let reply: (page: number) => Reply = () => ({ body: [] });
    let n = 0;

    beforeAll(async () => {
      dut = await setup();
      server = await scriptedServer((req) => reply(Number(req.query.get('page') ?? 1)));
    });
    afterAll(async () => {
      await server?.close();
      await dut?.cleanup?.();
      tmp.cleanup();
    });

    /** A one-resource pipeline against the scripted server, in a fresh destination; returns helpers to run and read it. */
    function pipeline(resource: Record<string, unknown>, extra: Record<string, unknown> = {}) {
      const id = `conf_${++n}`;
      const schema = dut.schema(n);
      const destination = dut.destination(n);
      const yaml = {
        id,
        source: { base_url: server.url, retry: { max_attempts: 1 } },
        resources: [{ endpoint: {}, paginator: { type: 'page_number' }, ...resource }],
        destination,
        ...extra,
      };
      return {
        id,
        run: () => runYaml(tmp.dir, yaml),
        read: (sql: string) => withWorkspace(destination, tmp.dir, (ws) => rows(ws, sql)),
        table: (t: string) => `${schema}.${t}`,
      };
    }
    /** Serves `pages` (one array per page), then an empty page. */
    const serve = (...pages: unknown[][]) => {
      reply = (page) => ({ body: pages[page - 1] ?? [] });
    };

    test('replace rebuilds the table on every run', async () => {
      const p = pipeline({ name: 'items', write: 'replace' });
      serve(
        [
          { id: 1, v: 'a' },
          { id: 2, v: 'b' },
        ],
        [{ id: 3, v: 'c' }],
      );
      expect((await p.run()).map((o) => [o.status, o.totalRows])).toEqual([['SUCCESS', 3]]);
      serve([{ id: 9, v: 'z' }]);
      await p.run();
      expect(await p.read(`SELECT id, v FROM ${p.table('items')} ORDER BY id`)).toEqual([{ id: 9, v: 'z' }]);
    });

    test('append adds every run', async () => {
      const p = pipeline({ name: 'events', write: 'append' });
      serve([{ id: 1 }, { id: 2 }]);
      await p.run();
      const [second] = await p.run();
      expect(second).toMatchObject({ status: 'SUCCESS', targetRows: 2, totalRows: 4 });
      expect(
        await p.read(`SELECT id, count(*) AS n FROM ${p.table('events')} GROUP BY id ORDER BY id`),
      ).toEqual([
        { id: 1, n: 2 },
        { id: 2, n: 2 },
      ]);
    });

    test('merge upserts by primary key: updated rows change in place, new ones are added', async () => {
      const p = pipeline({ name: 'customers', write: 'merge', primary_key: ['id'] });
      serve([
        { id: 1, name: 'Ann' },
        { id: 2, name: 'Bob' },
      ]);
      await p.run();
      serve([
        { id: 2, name: 'Bobby' },
        { id: 3, name: 'Cy' },
      ]);
      const [second] = await p.run();
      expect(second).toMatchObject({ status: 'SUCCESS', totalRows: 3 });
      expect(await p.read(`SELECT id, name FROM ${p.table('customers')} ORDER BY id`)).toEqual([
        { id: 1, name: 'Ann' },
        { id: 2, name: 'Bobby' },
        { id: 3, name: 'Cy' },
      ]);
    });

    test('merge replaces the whole row: a field the API no longer sends becomes NULL', async () => {
      const p = pipeline({ name: 'whole', write: 'merge', primary_key: ['id'] });
      serve([
        { id: 1, name: 'Ann', city: 'Oslo' },
        { id: 2, name: 'Bob', city: 'Lima' },
      ]);
      await p.run();
      // Duplicate keys take the deduplicating path; unique ones merge straight from staging: both must agree.
      for (const second of [
        [{ id: 1, name: 'Anne' }],
        [
          { id: 2, name: 'B' },
          { id: 2, name: 'Bobby' },
        ],
      ]) {
        serve(second);
        const [outcome] = await p.run();
        expect(outcome).toMatchObject({ status: 'SUCCESS', targetRows: 1, totalRows: 2 });
      }
      expect(await p.read(`SELECT id, name, city FROM ${p.table('whole')} ORDER BY id`)).toEqual([
        { id: 1, name: 'Anne', city: null },
        { id: 2, name: 'Bobby', city: null },
      ]);
      const runs = await p.read(`SELECT count(DISTINCT _restlake_run_id) AS n FROM ${p.table('whole')}`);
      expect(Number(runs[0]?.n)).toBe(2);
    });

    test('merge on a composite key', async () => {
      const p = pipeline({ name: 'prices', write: 'merge', primary_key: ['sku', 'region'] });
      serve([
        { sku: 'A', region: 'eu', price: 1 },
        { sku: 'A', region: 'us', price: 2 },
      ]);
      await p.run();
      serve([{ sku: 'A', region: 'us', price: 3 }]);
      await p.run();
      expect(await p.read(`SELECT sku, region, price FROM ${p.table('prices')} ORDER BY region`)).toEqual([
        { sku: 'A', region: 'eu', price: 1 },
        { sku: 'A', region: 'us', price: 3 },
      ]);
    });

    test('merge finds keys with any characters, and keys of a column widened from integer to string', async () => {
      const tricky = ['quote " and \\ backslash', "it's [a], {b}", 'ünï 🚀\ttab\nline', ''];
      const p = pipeline({ name: 'keyed', write: 'merge', primary_key: ['k'] });
      serve([...tricky.map((k) => ({ k, v: 1 })), { k: 'plain', v: 1 }]);
      await p.run();
      serve(tricky.map((k) => ({ k, v: 2 })));
      await p.run();
      // Sorted here: collations order these strings differently.
      const keyed = await p.read(`SELECT k, v FROM ${p.table('keyed')}`);
      expect(keyed.sort((a, b) => String(a.k).localeCompare(String(b.k)))).toEqual(
        [...tricky, 'plain'].sort((a, b) => a.localeCompare(b)).map((k) => ({ k, v: k === 'plain' ? 1 : 2 })),
      );

      const q = pipeline({ name: 'widened', write: 'merge', primary_key: ['id'] });
      serve([{ id: 7, v: 1 }]);
      await q.run();
      serve([{ id: 'X-7', v: 1 }]);
      await q.run();
      serve([
        { id: 7, v: 2 },
        { id: 'X-7', v: 2 },
      ]);
      await q.run();
      expect(
        await q.read(`SELECT CAST(id AS VARCHAR) AS id, v FROM ${q.table('widened')} ORDER BY id`),
      ).toEqual([
        { id: '7', v: 2 },
        { id: 'X-7', v: 2 },
      ]);
    });

    test('duplicate keys in one batch: the last record wins', async () => {
      const p = pipeline({ name: 'dupes', write: 'merge', primary_key: ['id'] });
      serve([
        { id: 1, v: 'first' },
        { id: 2, v: 'only' },
        { id: 1, v: 'last' },
      ]);
      const [outcome] = await p.run();
      expect(outcome).toMatchObject({ status: 'SUCCESS', sourceRows: 3, targetRows: 2, totalRows: 2 });
      expect(await p.read(`SELECT id, v FROM ${p.table('dupes')} ORDER BY id`)).toEqual([
        { id: 1, v: 'last' },
        { id: 2, v: 'only' },
      ]);
    });

    test('schema change: a new column is added, a widened one altered, old rows keep their values', async () => {
      const p = pipeline({ name: 'evolving', write: 'merge', primary_key: ['id'] });
      serve([{ id: 1, amount: 5 }]);
      await p.run();
      serve([{ id: 2, amount: 2.5, note: 'new column' }]);
      const [second] = await p.run();
      expect(second?.status).toBe('SUCCESS');
      expect(await p.read(`SELECT id, amount, note FROM ${p.table('evolving')} ORDER BY id`)).toEqual([
        { id: 1, amount: 5, note: null },
        { id: 2, amount: 2.5, note: 'new column' },
      ]);
    });

    test('a declared type that changes from integer to string widens the column', async () => {
      const p = pipeline({ name: 'codes', write: 'append' });
      serve([{ code: 7 }]);
      await p.run();
      serve([{ code: 'X-7' }]);
      await p.run();
      expect(
        await p.read(`SELECT CAST(code AS VARCHAR) AS code FROM ${p.table('codes')} ORDER BY code`),
      ).toEqual([{ code: '7' }, { code: 'X-7' }]);
    });

    test('special characters in names and values survive the round trip', async () => {
      const tricky = 'tab\there, newline\nhere, back\\slash, "quotes", \'single\', ünïcødé, 🚀, \\N, \\.';
      const p = pipeline({ name: 'select', table: 'order', write: 'merge', primary_key: ['user'] });
      serve([{ user: 'u1', 'Order ID': 1, 'weird-name': tricky, from: null, camelCase: true }]);
      const [outcome] = await p.run();
      expect(outcome?.status).toBe('SUCCESS');
      const [row] = await p.read(
        `SELECT "user" AS u, order_id AS oid, weird_name AS w, camel_case AS c FROM ${p.table('"order"')}`,
      );
      expect(row).toEqual({ u: 'u1', oid: 1, w: tricky, c: true });
    });

    test('bronze keeps each page as its text: multibyte characters exactly, bytes that are not UTF-8 as U+FFFD', async () => {
      const p = pipeline({ name: 'pages', write: 'append' });
      const multibyte = '[{"id":1,"v":"ünïcødé, 🚀, \\u0001, \\"quoted\\""}]';
      // 0xff is never UTF-8: the body's text has U+FFFD there, and the database is given that text.
      const invalid = Buffer.concat([
        Buffer.from('[{"id":2,"v":"a'),
        Buffer.from([0xff]),
        Buffer.from('b"}]'),
      ]);
      reply = (page) => (page === 1 ? { raw: multibyte } : page === 2 ? { raw: invalid } : { body: [] });
      expect((await p.run())[0]?.status).toBe('SUCCESS');
      const pages = await p.read(`SELECT body FROM bronze.${p.id}__pages ORDER BY page_index`);
      expect(pages.map((r) => r.body)).toEqual([multibyte, '[{"id":2,"v":"a\ufffdb"}]', '[]']);
      expect(await p.read(`SELECT v FROM ${p.table('pages')} ORDER BY id`)).toEqual([
        { v: 'ünïcødé, 🚀, \u0001, "quoted"' },
        { v: 'a\ufffdb' },
      ]);
    });

    test('names longer than 63 bytes are shortened, the same way on every load, and stay distinct', async () => {
      // PostgreSQL cuts identifiers to 63 bytes: these two paths would both become `..._informat`.
      const table = 'a_table_whose_name_is_long_enough_to_overflow_with_a_suffix';
      const p = pipeline({
        name: 'long_names',
        table,
        write: 'merge',
        primary_key: ['id'],
        schema: { amount: 'integer' },
        on_cast_error: 'quarantine',
      });
      const record = (id: number, amount: unknown) => ({
        id,
        amount,
        customer_information_details: {
          primary_shipping_address_information: { postal_code_first: `A${id}`, postal_code_second: `B${id}` },
        },
      });
      serve([record(1, 10), record(2, 'not a number')]);
      const [first] = await p.run();
      expect(first?.status).toBe('SUCCESS');
      serve([record(1, 11), record(3, 30)]);
      const [second] = await p.run();
      expect(second?.status).toBe('SUCCESS');
      const start = 'customer_information_details__primary_shipping_address';
      expect(
        await p.read(
          `SELECT id, amount, ${start}_7e154494 AS f, ${start}_5bb1c731 AS s FROM ${p.table(table)} ORDER BY id`,
        ),
      ).toEqual([
        { id: 1, amount: 11, f: 'A1', s: 'B1' },
        { id: 3, amount: 30, f: 'A3', s: 'B3' },
      ]);
      const rejected = p.table('a_table_whose_name_is_long_enough_to_overflow_with_a_s_a299c6db');
      expect(await p.read(`SELECT column_name, value FROM ${rejected}`)).toEqual([
        { column_name: 'amount', value: 'not a number' },
      ]);
    });

    test('integers beyond 2^53 load exact: as keys, inferred, declared from text, inside JSON', async () => {
      const p = pipeline({
        name: 'snowflakes',
        write: 'merge',
        primary_key: ['id'],
        schema: { id_str: 'bigint' },
      });
      // Raw text: JSON.parse would turn 1234567890123456789 into 1234567890123456800, and the two ids of
      // each record here into the same double.
      const page = (version: number) =>
        `[{"id":1234567890123456789,"id_str":"1234567890123456789","v":${version},"huge":18446744073709551615,"meta":{"ref":9007199254740993},"list":[9007199254740993]},` +
        `{"id":1234567890123456790,"id_str":"1234567890123456790","v":${version},"huge":1,"meta":{"ref":1},"list":[1]}]`;
      for (const version of [1, 2]) {
        reply = (n) => (n === 1 ? { raw: page(version) } : { body: [] });
        const [outcome] = await p.run();
        expect(outcome?.status).toBe('SUCCESS');
      }
      expect(
        await p.read(
          `SELECT CAST(id AS VARCHAR) AS id, CAST(id_str AS VARCHAR) AS id_str, v, CAST(huge AS VARCHAR) AS huge,
             CAST(meta__ref AS VARCHAR) AS ref, CAST(list AS VARCHAR) AS list FROM ${p.table('snowflakes')} ORDER BY id`,
        ),
      ).toEqual([
        {
          id: '1234567890123456789',
          id_str: '1234567890123456789',
          v: 2,
          huge: '18446744073709551615',
          ref: '9007199254740993',
          list: '[9007199254740993]',
        },
        { id: '1234567890123456790', id_str: '1234567890123456790', v: 2, huge: '1', ref: '1', list: '[1]' },
      ]);
    });

    test('fencing: a writer whose load another process advanced cannot commit its batch', async () => {
      const destination = dut.destination(++n);
      const schema = dut.schema(n);
      await withWorkspace(destination, tmp.dir, async (ws) => {
        const target = {
          loadKey: 'fenced/items/1',
          disposition: 'append' as const,
          tables: ['items'],
          bronzeTable: undefined,
          metadata: [],
          origin: { configId: 'fenced', resource: 'items', runId: 'r1' },
          contract: 'evolve' as const,
        };
        const batch = (id: number, checkpoint: string) => ({
          pages: [],
          rowSets: [
            {
              table: { name: 'items', columns: [{ name: 'id', type: 'bigint' as const }], primaryKey: [] },
              rows: [[id]],
            },
          ],
          checkpoint,
        });
        const paused = await ws.destination.openLoad(target);
        const rescuer = await ws.destination.openLoad(target);
        expect(await paused.readCheckpoint()).toBeUndefined();
        expect(await rescuer.readCheckpoint()).toBeUndefined();
        await rescuer.write(batch(1, 'page 1'));
        await expect(paused.write(batch(1, 'page 1 again'))).rejects.toThrow(/advanced by another process/);
        await rescuer.write(batch(2, 'page 2'));
        expect(await rescuer.finish('done')).toEqual({ items: 2 });
        expect(await rows(ws, `SELECT id FROM ${schema}.items ORDER BY id`)).toEqual([{ id: 1 }, { id: 2 }]);
        await paused.close();
        await rescuer.close();
      });
    });

    test('a failing page leaves a replace table as it was; the rerun resumes and swaps', async () => {
      const p = pipeline({ name: 'safe', write: 'replace' }, { batch_size: 1 });
      serve([{ id: 1 }], [{ id: 2 }]);
      await p.run();
      reply = (page) =>
        page === 2 ? { status: 400, body: { error: 'no' } } : { body: page === 1 ? [{ id: 10 }] : [] };
      const [failed] = await p.run();
      expect(failed?.status).toBe('PARTIAL');
      expect(await p.read(`SELECT id FROM ${p.table('safe')} ORDER BY id`)).toEqual([{ id: 1 }, { id: 2 }]);
      serve([{ id: 10 }], [{ id: 20 }]);
      const [resumed] = await p.run();
      expect(resumed).toMatchObject({ status: 'SUCCESS', totalRows: 2 });
      expect(await p.read(`SELECT id FROM ${p.table('safe')} ORDER BY id`)).toEqual([{ id: 10 }, { id: 20 }]);
    });
  });
}
