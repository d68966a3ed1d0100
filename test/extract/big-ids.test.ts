import { afterAll, beforeAll, expect, test } from 'vitest';
import { rows, runYaml, withWorkspace } from '../support/run.js';
import { type ScriptedServer, scriptedServer } from '../support/scripted-server.js';
import { tempDir } from '../support/workspace.js';

/**
 * Ids beyond 2^53 travel from a parent's records into its children's requests and rows digit for digit:
 * JSON.parse would give both parents here the same id, 1234567890123456800.
 */
const tmp = tempDir();
let server: ScriptedServer;
const PARENTS = ['1234567890123456789', '1234567890123456790'];

beforeAll(async () => {
  server = await scriptedServer((req) => {
    if (req.path === '/accounts')
      return { raw: `{"data":[${PARENTS.map((id) => `{"id":${id}}`).join(',')}]}` };
    const id = /^\/accounts\/(\d+)\/posts$/.exec(req.path)?.[1];
    if (id === undefined) return { status: 404, body: { error: req.path } };
    // The POST body carries the id as a number too, read here as text (JSON.parse would round it).
    const account = /^\{"account":(\d+)\}$/.exec(req.body)?.[1] ?? 'null';
    return { raw: `{"data":[{"post":"${id}-1","account":${account}}]}` };
  });
});
afterAll(async () => {
  await server?.close();
  tmp.cleanup();
});

test('a parent id beyond 2^53 reaches the child path, the child body and the child rows exact', async () => {
  const destination = { type: 'duckdb', path: `${tmp.dir}/big.duckdb` };
  const [accounts, posts] = await runYaml(tmp.dir, {
    id: 'big_ids',
    source: { base_url: server.url },
    resources: [
      { name: 'accounts', endpoint: { path: '/accounts' }, records: 'data', primary_key: ['id'] },
      {
        name: 'posts',
        parent: 'accounts',
        endpoint: { path: '/accounts/{parent.id}/posts', method: 'POST', body: { account: '{parent.id}' } },
        records: 'data',
        parent_fields: ['id'],
        primary_key: ['post'],
      },
    ],
    destination,
  });
  expect([accounts?.status, posts?.status]).toEqual(['SUCCESS', 'SUCCESS']);
  expect(server.requests.map((r) => r.path).filter((p) => p.endsWith('/posts'))).toEqual(
    PARENTS.map((id) => `/accounts/${id}/posts`),
  );
  await withWorkspace(destination, tmp.dir, async (ws) => {
    expect(
      await rows(
        ws,
        'SELECT post, CAST(account AS VARCHAR) AS account, CAST(_parent_id AS VARCHAR) AS parent FROM main.posts ORDER BY post',
      ),
    ).toEqual(PARENTS.map((id) => ({ post: `${id}-1`, account: id, parent: id })));
  });
});
