import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { cli } from '../support/cli.js';
import { rows, withWorkspace } from '../support/run.js';
import { type ScriptedServer, scriptedServer } from '../support/scripted-server.js';
import { tempDir, writePipeline } from '../support/workspace.js';

/**
 * No secret leaks: every auth method runs with recognizable secret values, against an API that echoes the
 * credentials it received back in its error bodies (as some do). Then every line the CLI printed (logs,
 * summaries, errors) and every row of every table in the database is scanned for those values, in the forms a
 * leak takes (as is, URL-encoded, base64): zero hits.
 */

const tmp = tempDir();
let server: ScriptedServer;
const canary = (label: string) => `canary-${label}-${randomBytes(6).toString('hex')}`;

interface AuthCase {
  name: string;
  auth: Record<string, unknown>;
  /** Secret values, put in the environment and referenced as ${env:...}. */
  env: Record<string, string>;
}

const CASES: AuthCase[] = [
  {
    name: 'bearer',
    auth: { type: 'bearer', token: '${env:SECRET_TOKEN}' },
    env: { SECRET_TOKEN: canary('bearer') },
  },
  {
    name: 'api key in a header',
    auth: { type: 'api_key', key: '${env:SECRET_KEY}', name: 'X-Api-Key' },
    env: { SECRET_KEY: canary('header-key') },
  },
  {
    name: 'api key in the query',
    auth: { type: 'api_key', key: '${env:SECRET_KEY}', name: 'api_key', in: 'query' },
    env: { SECRET_KEY: canary('query-key') },
  },
  {
    name: 'basic',
    auth: { type: 'basic', username: 'loader', password: '${env:SECRET_PASSWORD}' },
    env: { SECRET_PASSWORD: canary('password') },
  },
];

/** The forms in which a secret leaks: as is, in a query string, inside a basic-auth header. */
function leakForms(secret: string): string[] {
  return [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')];
}

beforeAll(async () => {
  // Page 1 is fine; page 2 fails with an error body that echoes every credential the request carried.
  server = await scriptedServer(({ query, headers }) => {
    const page = Number(query.get('page') ?? 1);
    if (page === 1) return { body: [{ id: 1, name: 'first' }] };
    if (page === 3) return { body: [] };
    return {
      status: 400,
      body: {
        error: 'bad request',
        received: { authorization: headers.authorization, key: headers['x-api-key'], query: `${query}` },
      },
    };
  });
});
afterAll(async () => {
  await server.close();
  tmp.cleanup();
});

test.each(CASES)('$name: no secret in any output, log line, error or table', async ({ name, auth, env }) => {
  const id = `secrets_${name.replace(/\W+/g, '_')}`;
  const db = tmp.path(`${id}.duckdb`);
  const file = writePipeline(tmp.dir, `${id}.yaml`, {
    id,
    source: { base_url: server.url, auth, retry: { max_attempts: 2, initial_delay: '1ms' } },
    resources: [
      { name: 'items', endpoint: { path: '/items', params: { q: 'x' } }, paginator: { type: 'page_number' } },
    ],
    destination: { type: 'duckdb', path: db },
    // Page 1 commits (with its URL and request in bronze) before page 2 fails.
    batch_size: 1,
  });
  const outputs = [
    await cli(['run', file, '--log-level', 'trace'], { cwd: tmp.dir, env }),
    await cli(['validate', file], { cwd: tmp.dir, env }),
    await cli(['status', '--db', db], { cwd: tmp.dir, env }),
    await cli(['audit', '--db', db], { cwd: tmp.dir, env }),
  ];
  expect(outputs[0]!.code).toBe(4);
  // The failure is reported, with the API's (redacted) echo of what it received.
  expect(outputs[0]!.stderr).toMatch(/answered 400/);

  const tables = await withWorkspace({ type: 'duckdb', path: db }, tmp.dir, async (ws) => {
    const names = await rows(
      ws,
      `SELECT table_schema || '.' || table_name AS t FROM information_schema.tables`,
    );
    const dump: string[] = [];
    for (const { t } of names)
      dump.push(`${t}: ${JSON.stringify(await rows(ws, `SELECT * FROM ${String(t)}`))}`);
    return dump;
  });
  expect(tables.join('\n')).toMatch(/bronze\.\w+: \[\{/);

  const haystack = [...outputs.flatMap((o) => [o.stdout, o.stderr]), ...tables].join('\n');
  const hits = Object.values(env)
    .flatMap(leakForms)
    .filter((form) => haystack.includes(form));
  expect(hits).toEqual([]);
});
