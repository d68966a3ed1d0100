import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { rows, runYaml, withWorkspace } from '../support/run.js';
import { type Reply, type ScriptedServer, scriptedServer } from '../support/scripted-server.js';
import { tempDir } from '../support/workspace.js';

/**
 * Responses no API should send, but some do: each fails the load cleanly (a FAILED control row saying why,
 * the table as it was), and never ends the stream early as if the data were complete.
 */

const tmp = tempDir();
let server: ScriptedServer;
/** What page 2 answers in the current test; pages 1 and 3 are fine, page 4 is empty. */
let pageTwo: () => Reply;

const records = (page: number) =>
  page > 3 ? [] : Array.from({ length: 10 }, (_, i) => ({ id: (page - 1) * 10 + i + 1, page }));

beforeAll(async () => {
  server = await scriptedServer(({ query }) => {
    const page = Number(query.get('page') ?? 1);
    if (page === 2) return pageTwo();
    return { body: records(page) };
  });
});
afterAll(async () => {
  await server.close();
  tmp.cleanup();
});

let n = 0;
async function load(): Promise<{ status: string; error: string; ids: number[] }> {
  const id = `responses_${++n}`;
  const destination = { type: 'duckdb', path: tmp.path(`${id}.duckdb`) };
  // A first, healthy load fills the table, so the test can see that a failed one leaves it as it was.
  const healthy = pageTwo;
  pageTwo = () => ({ body: records(2) });
  const pipeline = {
    id,
    source: { base_url: server.url, retry: { max_attempts: 2, initial_delay: '1ms' } },
    resources: [
      {
        name: 'items',
        endpoint: { path: '/items' },
        paginator: { type: 'page_number' },
        primary_key: ['id'],
        write: 'replace',
      },
    ],
    destination,
  };
  const [first] = await runYaml(tmp.dir, pipeline);
  expect(first?.status).toBe('SUCCESS');
  pageTwo = healthy;
  const [outcome] = await runYaml(tmp.dir, pipeline);
  const ids = await withWorkspace(destination, tmp.dir, async (ws) =>
    (await rows(ws, 'SELECT id FROM main.items ORDER BY id')).map((r) => Number(r.id)),
  );
  return { status: outcome!.status, error: outcome!.error?.message ?? '', ids };
}

const ALL = Array.from({ length: 30 }, (_, i) => i + 1);

describe('a load fails cleanly, leaving the table as it was, when a page is', () => {
  test('an empty 200 body (not an empty page: the stream must not stop early)', async () => {
    pageTwo = () => ({ raw: '' });
    const result = await load();
    expect(result).toMatchObject({ status: 'FAILED', ids: ALL });
    expect(result.error).toMatch(/answered 200 with an empty body/);
  });

  test('an HTML error page with status 200', async () => {
    pageTwo = () => ({
      raw: '<html><body><h1>Bad Gateway</h1></body></html>',
      headers: { 'content-type': 'text/html' },
    });
    const result = await load();
    expect(result).toMatchObject({ status: 'FAILED', ids: ALL });
    expect(result.error).toMatch(/not JSON: <html><body><h1>Bad Gateway/);
  });
});

test('a 204 No Content answer is an empty page: the stream ends there', async () => {
  pageTwo = () => ({ status: 204, raw: '' });
  const result = await load();
  expect(result, result.error).toMatchObject({ status: 'SUCCESS', ids: ALL.slice(0, 10) });
});
