import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { faultDestinations } from '../support/fault-destinations.js';
import { rows, runYaml, withWorkspace } from '../support/run.js';
import { pagesOf, type ScriptedServer, scriptedServer } from '../support/scripted-server.js';
import { tempDir } from '../support/workspace.js';
import { localPipeline } from './support.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

interface Metric {
  name: string;
  value: number;
}
interface Conversation {
  id: number;
  topic: string;
  participants: { user: string; sessions: { started: string; metrics: Metric[] }[] }[];
}

/** Conversation `id` with `people` participants, each with two sessions of two metrics. */
function conversation(id: number, people: string[], topic = 'support'): Conversation {
  return {
    id,
    topic,
    participants: people.map((user, p) => ({
      user,
      sessions: [0, 1].map((s) => ({
        started: `2024-01-0${s + 1}T1${p}:00:00Z`,
        metrics: [
          { name: 'latency', value: id * 100 + p * 10 + s },
          { name: 'jitter', value: s + 0.5 },
        ],
      })),
    })),
  };
}

let data: Conversation[] = [];
let server: ScriptedServer;
beforeAll(async () => {
  server = await scriptedServer((req) => ({ body: pagesOf(data, 2)(Number(req.query.get('page'))) }));
});
afterAll(() => server.close());

const nested = [
  {
    path: 'participants',
    table: 'participants',
    nested: [{ path: 'sessions', table: 'sessions', nested: [{ path: 'metrics', table: 'metrics' }] }],
  },
];

let target: Record<string, unknown> | undefined;
let prepared = 0;
function pipeline(write: string, extra: Record<string, unknown> = {}) {
  const resource = {
    name: 'conversations',
    endpoint: {},
    paginator: { type: 'page_number', page_size: 2 },
    primary_key: ['id'],
    write,
    nested,
    ...extra,
  };
  return localPipeline(tmp.dir, 'nested', server.url, resource, {
    batch_size: 10,
    ...(target ? { destination: target } : {}),
  });
}

/** The four tables, as the set of facts they hold, joined back together through their keys. */
const JOINED = `
  SELECT c.id, c.topic, p.user, p._pos AS p_pos, s.started, s._pos AS s_pos, m.name, m.value
  FROM main.conversations c
  JOIN main.participants p ON p._parent_id = c.id
  JOIN main.sessions s ON s._parent_row_key = p._row_key AND s._root_id = c.id
  JOIN main.metrics m ON m._parent_row_key = s._row_key AND m._root_id = c.id
  ORDER BY c.id, p._pos, s._pos, m._pos`;

/** What JOINED must return for `list`. */
function expected(list: Conversation[]) {
  return list
    .toSorted((a, b) => a.id - b.id)
    .flatMap((c) =>
      c.participants.flatMap((p, pi) =>
        p.sessions.flatMap((s, si) =>
          s.metrics.map((m) => ({
            id: c.id,
            topic: c.topic,
            user: p.user,
            p_pos: pi,
            started: new Date(s.started),
            s_pos: si,
            name: m.name,
            value: m.value,
          })),
        ),
      ),
    );
}

async function counts(ws: Parameters<Parameters<typeof withWorkspace>[2]>[0]) {
  const [row] = await rows(
    ws,
    `SELECT (SELECT count(*) FROM main.conversations) AS c, (SELECT count(*) FROM main.participants) AS p,
            (SELECT count(*) FROM main.sessions) AS s, (SELECT count(*) FROM main.metrics) AS m`,
  );
  return row;
}

/** No child row without its parent, at any level. */
async function orphans(ws: Parameters<Parameters<typeof withWorkspace>[2]>[0]) {
  const [row] = await rows(
    ws,
    `SELECT
       (SELECT count(*) FROM main.participants p WHERE NOT EXISTS (SELECT 1 FROM main.conversations c WHERE c.id = p._parent_id)) AS p,
       (SELECT count(*) FROM main.sessions s WHERE NOT EXISTS (SELECT 1 FROM main.participants p WHERE p._row_key = s._parent_row_key)) AS s,
       (SELECT count(*) FROM main.metrics m WHERE NOT EXISTS (SELECT 1 FROM main.sessions s WHERE s._row_key = m._parent_row_key)) AS m`,
  );
  return row;
}

for (const destination of faultDestinations()) {
  describe.skipIf(destination.skip)(
    `a four-level payload unnested into four linked tables (${destination.name})`,
    () => {
      beforeEach(async () => {
        target = await destination.prepare(`nested_${++prepared}`);
      });
      afterAll(() => destination.cleanup());

      test('merge: changing a parent’s children replaces exactly its child rows at every level', async () => {
        data = [1, 2, 3, 4, 5].map((id) => conversation(id, ['ann', 'bob']));
        const p = pipeline('merge');
        const [first] = await runYaml(tmp.dir, p.yaml);
        expect(first).toMatchObject({ status: 'SUCCESS', totalRows: 5 });
        await withWorkspace(p.destination, tmp.dir, async (ws) => {
          expect(await counts(ws)).toEqual({ c: 5, p: 10, s: 20, m: 40 });
          expect(await rows(ws, JOINED)).toEqual(expected(data));
        });

        // Conversation 2 loses bob and gains cy and dee; conversation 4 loses everyone; 6 is new; 1, 3, 5 are
        // served unchanged; the API now serves 2 twice (an older version first) in the same batch.
        const changed = conversation(2, ['ann', 'cy', 'dee'], 'escalated');
        changed.participants[0]!.sessions.pop();
        const emptied = { ...conversation(4, []), topic: 'closed' };
        data = [conversation(2, ['zed']), changed, emptied, conversation(6, ['eve'])];
        const [second] = await runYaml(tmp.dir, p.yaml);
        expect(second).toMatchObject({ status: 'SUCCESS', totalRows: 6 });
        const now = [1, 3, 5]
          .map((id) => conversation(id, ['ann', 'bob']))
          .concat([changed, emptied, conversation(6, ['eve'])]);
        await withWorkspace(p.destination, tmp.dir, async (ws) => {
          expect(await rows(ws, JOINED)).toEqual(expected(now));
          expect(await counts(ws)).toEqual({ c: 6, p: 10, s: 19, m: 38 });
          expect(await orphans(ws)).toEqual({ p: 0, s: 0, m: 0 });
          expect(await rows(ws, 'SELECT topic FROM main.conversations WHERE id = 4')).toEqual([
            { topic: 'closed' },
          ]);
          // Positions and row keys are stable: the same input gives the same keys.
          expect(
            await rows(ws, `SELECT _row_key FROM main.sessions WHERE _root_id = 2 ORDER BY _row_key`),
          ).toEqual([
            { _row_key: '2/0/0' },
            { _row_key: '2/1/0' },
            { _row_key: '2/1/1' },
            { _row_key: '2/2/0' },
            { _row_key: '2/2/1' },
          ]);
        });
      });

      test('replace: child tables are staged and swapped in with their parent', async () => {
        data = [1, 2, 3].map((id) => conversation(id, ['ann']));
        const p = pipeline('replace');
        await runYaml(tmp.dir, p.yaml);
        data = [conversation(7, ['x', 'y'])];
        const [outcome] = await runYaml(tmp.dir, p.yaml);
        expect(outcome).toMatchObject({ status: 'SUCCESS', totalRows: 1 });
        await withWorkspace(p.destination, tmp.dir, async (ws) => {
          expect(await counts(ws)).toEqual({ c: 1, p: 2, s: 4, m: 8 });
          expect(await rows(ws, JOINED)).toEqual(expected(data));
          const tables = await rows(
            ws,
            `SELECT table_name AS t FROM information_schema.tables WHERE table_name LIKE '_rl_%'`,
          );
          expect(tables).toEqual([]);
        });
      });

      test('append: every load adds its rows and children, linked by their keys', async () => {
        data = [conversation(1, ['ann'])];
        const p = pipeline('append', { primary_key: undefined });
        await runYaml(tmp.dir, p.yaml);
        await runYaml(tmp.dir, p.yaml);
        await withWorkspace(p.destination, tmp.dir, async (ws) => {
          expect(await counts(ws)).toEqual({ c: 2, p: 2, s: 4, m: 8 });
          // Without a primary key each parent row has a generated key; its children point at it.
          const [linked] = await rows(
            ws,
            `SELECT count(*) AS n FROM main.participants p JOIN main.conversations c ON p._parent_row_key = c._row_key`,
          );
          expect(linked).toEqual({ n: 2 });
        });
      });
    },
  );
}
