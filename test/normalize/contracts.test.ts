import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { faultDestinations } from '../support/fault-destinations.js';
import { rows, runYaml, withWorkspace } from '../support/run.js';
import { type ScriptedServer, scriptedServer } from '../support/scripted-server.js';
import { tempDir } from '../support/workspace.js';
import { columnTypes, localPipeline } from './support.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/**
 * An API that changes mid-run: page 1 has id, age and a nested profile; page 2 adds `tier`; page 3 sends
 * `age` as text. Page 4 is empty.
 */
const PAGES: Record<string, unknown>[][] = [
  [
    { id: 1, age: 30, profile: { firstName: 'Ann' } },
    { id: 2, age: 40, profile: { firstName: 'Bob' } },
  ],
  [
    { id: 3, age: 50, profile: { firstName: 'Cy' }, tier: 'gold' },
    { id: 4, age: 60, profile: { firstName: 'Dee' }, tier: 'silver' },
  ],
  [{ id: 5, age: 'unknown', profile: { firstName: 'Eve' } }],
];

let server: ScriptedServer;
beforeAll(async () => {
  server = await scriptedServer((req) => {
    const page = Number(req.query.get('page'));
    const pages = req.path === '/two' ? PAGES.slice(0, 2) : PAGES;
    return { body: pages[page - 1] ?? [] };
  });
});
afterAll(() => server.close());

let target: Record<string, unknown> | undefined;
let prepared = 0;
/** The destination of the current test, in a pipeline's `extra`. */
const on = (extra: Record<string, unknown> = {}) => ({
  ...extra,
  ...(target ? { destination: target } : {}),
});

function pipeline(schema_contract: string, path = '/three') {
  return localPipeline(
    tmp.dir,
    'contract',
    server.url,
    {
      name: 'people',
      endpoint: { path },
      paginator: { type: 'page_number' },
      primary_key: ['id'],
      write: 'merge',
      schema_contract,
    },
    // One page per batch: the change arrives after the table was created by an earlier batch.
    on({ batch_size: 1 }),
  );
}

for (const destination of faultDestinations()) {
  describe.skipIf(destination.skip)(
    `schema contracts on an API that adds a field mid-run (${destination.name})`,
    () => {
      beforeEach(async () => {
        target = await destination.prepare(`contracts_${++prepared}`);
      });
      afterAll(() => destination.cleanup());

      test('evolve: the table gains the column, widens the changed one, and every change is in the history', async () => {
        const p = pipeline('evolve');
        const [outcome] = await runYaml(tmp.dir, p.yaml);
        expect(outcome).toMatchObject({ status: 'SUCCESS', totalRows: 5 });
        await withWorkspace(p.destination, tmp.dir, async (ws) => {
          expect(await columnTypes(ws, 'people')).toMatchObject({ tier: 'VARCHAR', age: 'VARCHAR' });
          expect(await rows(ws, 'SELECT id, age, tier FROM main.people ORDER BY id')).toEqual([
            { id: 1, age: '30', tier: null },
            { id: 2, age: '40', tier: null },
            { id: 3, age: '50', tier: 'gold' },
            { id: 4, age: '60', tier: 'silver' },
            { id: 5, age: 'unknown', tier: null },
          ]);
          const history = await rows(
            ws,
            `SELECT ConfigId AS config, ResourceName AS resource, TableName AS t, ColumnName AS c, ChangeKind AS kind,
                FromType AS from_type, ToType AS to_type, SourcePath AS source, RunId AS run
         FROM metadata.api_schema_history ORDER BY ChangeId`,
          );
          const run = outcome!.row.LastJobRunId;
          expect(history.every((h) => h.config === p.id && h.resource === 'people' && h.run === run)).toBe(
            true,
          );
          expect(history.map((h) => [h.t, h.c, h.kind, h.from_type, h.to_type, h.source])).toEqual([
            ['people', 'id', 'create', null, 'bigint', 'id'],
            ['people', 'age', 'create', null, 'bigint', 'age'],
            ['people', 'profile__first_name', 'create', null, 'string', 'profile.firstName'],
            ['people', '_restlake_page', 'create', null, 'bigint', null],
            ['people', '_restlake_run_id', 'create', null, 'string', null],
            ['people', '_restlake_loaded_at', 'create', null, 'timestamp', null],
            ['people', '_restlake_source', 'create', null, 'string', null],
            ['people', 'tier', 'add', null, 'string', 'tier'],
            ['people', 'age', 'widen', 'bigint', 'string', 'age'],
          ]);
        });
      });

      test('freeze: the new column fails the load before anything of its batch is written', async () => {
        const p = pipeline('freeze');
        const [outcome] = await runYaml(tmp.dir, p.yaml);
        expect(outcome?.status).toBe('PARTIAL');
        expect(outcome?.error?.code).toBe('SCHEMA_CONTRACT');
        expect(outcome?.error?.message).toMatch(
          /schema_contract is freeze.*new column people\.tier \(string\)/,
        );
        await withWorkspace(p.destination, tmp.dir, async (ws) => {
          expect(Object.keys(await columnTypes(ws, 'people'))).not.toContain('tier');
          expect(await rows(ws, 'SELECT id FROM main.people ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
          expect(await rows(ws, `SELECT page_index FROM bronze.${p.id}__people`)).toEqual([
            { page_index: 0 },
          ]);
          const [load] = await ws.control.loads(p.id, 1);
          expect(load).toMatchObject({ LoadStatus: 'FAILED' });
          expect(load!.ErrorMessage).toMatch(/new column people\.tier/);
          const [history] = await rows(
            ws,
            `SELECT count(*) AS n FROM metadata.api_schema_history WHERE ChangeKind <> 'create'`,
          );
          expect(history).toEqual({ n: 0 });
        });
      });

      test('freeze: a changed type fails too, naming the column and both types', async () => {
        const p = pipeline('evolve', '/two');
        await runYaml(tmp.dir, p.yaml);
        // The table now has every column of pages 1 and 2; the third page sends age as text.
        const resource = { ...p.yaml.resources[0]!, endpoint: { path: '/three' }, schema_contract: 'freeze' };
        const [outcome] = await runYaml(tmp.dir, { ...p.yaml, resources: [resource] });
        expect(outcome?.status).toBe('PARTIAL');
        expect(outcome?.error?.message).toMatch(/column people\.age changes from bigint to string/);
      });

      test('discard_columns: new columns are dropped and counted in the audit row', async () => {
        const p = pipeline('discard_columns', '/two');
        const [outcome] = await runYaml(tmp.dir, p.yaml);
        expect(outcome).toMatchObject({ status: 'SUCCESS', totalRows: 4 });
        await withWorkspace(p.destination, tmp.dir, async (ws) => {
          expect(Object.keys(await columnTypes(ws, 'people'))).not.toContain('tier');
          expect(await rows(ws, 'SELECT id FROM main.people ORDER BY id')).toEqual([
            { id: 1 },
            { id: 2 },
            { id: 3 },
            { id: 4 },
          ]);
          const [audit] = await ws.control.audits(p.id, 1);
          expect(JSON.parse(audit!.DiscardedColumns!)).toEqual({ 'people.tier': 2 });
        });
      });

      test('column names stay as the history recorded them when a later load meets the keys in another order', async () => {
        let body: unknown[] = [{ id: 1, userId: 10 }];
        const api = await scriptedServer(() => ({ body }));
        try {
          const p = localPipeline(
            tmp.dir,
            'names',
            api.url,
            { name: 'people', endpoint: {}, write: 'append' },
            on(),
          );
          await runYaml(tmp.dir, p.yaml);
          // `user_id` first, then `userId`: naming first come, first served would give userId the suffix.
          body = [{ id: 2, user_id: 20, userId: 21 }];
          await runYaml(tmp.dir, p.yaml);
          await withWorkspace(p.destination, tmp.dir, async (ws) => {
            expect(await rows(ws, 'SELECT id, user_id, user_id_2 FROM main.people ORDER BY id')).toEqual([
              { id: 1, user_id: 10, user_id_2: null },
              { id: 2, user_id: 21, user_id_2: 20 },
            ]);
            expect(
              await rows(
                ws,
                `SELECT ColumnName AS c, SourcePath AS s FROM metadata.api_schema_history WHERE ColumnName LIKE 'user%' ORDER BY ChangeId`,
              ),
            ).toEqual([
              { c: 'user_id', s: 'userId' },
              { c: 'user_id_2', s: 'user_id' },
            ]);
          });
        } finally {
          await api.close();
        }
      });

      test('discard_columns on a replace: the swapped-in table keeps the columns it had, and only those', async () => {
        let body: unknown[] = [{ id: 1, a: 'x' }];
        const api = await scriptedServer(() => ({ body }));
        try {
          const p = localPipeline(
            tmp.dir,
            'discard',
            api.url,
            {
              name: 'things',
              endpoint: {},
              write: 'replace',
              schema_contract: 'discard_columns',
            },
            on(),
          );
          await runYaml(tmp.dir, p.yaml);
          body = [
            { id: 2, b: 'y' },
            { id: 3, b: 'z' },
          ];
          const [outcome] = await runYaml(tmp.dir, p.yaml);
          expect(outcome).toMatchObject({ status: 'SUCCESS', totalRows: 2 });
          await withWorkspace(p.destination, tmp.dir, async (ws) => {
            expect(Object.keys(await columnTypes(ws, 'things'))).not.toContain('b');
            expect(
              await rows(ws, 'SELECT id, a, _restlake_page, _restlake_source FROM main.things ORDER BY id'),
            ).toEqual([
              { id: 2, a: null, _restlake_page: 0, _restlake_source: `${p.id}.things` },
              { id: 3, a: null, _restlake_page: 0, _restlake_source: `${p.id}.things` },
            ]);
            const [audit] = await ws.control.audits(p.id, 1);
            expect(JSON.parse(audit!.DiscardedColumns!)).toEqual({ 'things.b': 2 });
          });
        } finally {
          await api.close();
        }
      });
    },
  );
}
