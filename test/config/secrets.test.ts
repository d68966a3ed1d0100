import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadPipelineFile } from '../../src/config/load.js';
import { redact } from '../../src/core/redact.js';
import { rows, runYaml, withWorkspace } from '../support/run.js';
import { type ScriptedServer, scriptedServer } from '../support/scripted-server.js';
import { tempDir, writePipeline } from '../support/workspace.js';

/**
 * What a value resolved from `${env:}` masks: a credential everywhere (logs, errors, tables), but not ordinary
 * data that happens to come from the environment (a base URL, a start date), which would be masked in every
 * record holding it.
 */

const tmp = tempDir();
let api: ScriptedServer;

beforeAll(async () => {
  api = await scriptedServer((req) => ({
    body: [1, 2].map((id) => ({ id, self: `${api.url}/things/${id}`, appid: req.query.get('appid') })),
  }));
});
afterAll(async () => {
  await api.close();
  tmp.cleanup();
});

let n = 0;
function load(source: Record<string, unknown>, resource: Record<string, unknown> = {}) {
  const id = `secrets_${++n}`;
  return loadPipelineFile(
    writePipeline(tmp.dir, `${id}.yaml`, {
      id,
      source,
      resources: [{ name: 'things', endpoint: { path: '/things' }, ...resource }],
    }),
  ).config;
}

test('a base URL from the environment stays readable in the data and in messages; a key in params does not', async () => {
  process.env.RL_SECRETS_API_URL = api.url;
  process.env.RL_SECRETS_APPID = 'appid-0a1b2c3d';
  const db = tmp.path('secrets.duckdb');
  const yaml = {
    id: 'secrets_load',
    source: { base_url: '${env:RL_SECRETS_API_URL}' },
    resources: [
      { name: 'things', endpoint: { path: '/things', params: { appid: '${env:RL_SECRETS_APPID}' } } },
    ],
    destination: { type: 'duckdb', path: db },
  };
  const [outcome] = await runYaml(tmp.dir, yaml);
  expect(outcome).toMatchObject({ status: 'SUCCESS', totalRows: 2 });
  expect(redact(`GET ${api.url}/things failed`)).toBe(`GET ${api.url}/things failed`);
  await withWorkspace({ type: 'duckdb', path: db }, tmp.dir, async (ws) => {
    expect(await rows(ws, 'SELECT self, appid FROM main.things ORDER BY id')).toEqual([
      { self: `${api.url}/things/1`, appid: '***' },
      { self: `${api.url}/things/2`, appid: '***' },
    ]);
  });
});

test("a base URL's password and query values are secrets, its user, host and path are not", () => {
  process.env.RL_SECRETS_URL = 'https://me:hunter22-pw@api.example.com/v1?key=k3y-v4lue';
  load({ base_url: '${env:RL_SECRETS_URL}' });
  expect(redact('https://me:hunter22-pw@api.example.com/v1/orders?key=k3y-v4lue')).toBe(
    'https://me:***@api.example.com/v1/orders?key=***',
  );
  // An inline password is a secret too, though no reference resolved it.
  load({ base_url: 'https://robot:inline-pw-9@api.example.net' });
  expect(redact('login robot:inline-pw-9')).toBe('login robot:***');
});

test('a host from the environment is not a secret; a token in the path of a base URL is', () => {
  process.env.RL_SECRETS_HOST = 'api.example.org';
  process.env.RL_SECRETS_TOKEN = '123456:AAF-bot-token';
  load({ base_url: 'https://${env:RL_SECRETS_HOST}/v1' });
  load({ base_url: 'https://api.telegram.org/bot${env:RL_SECRETS_TOKEN}' });
  expect(redact('https://api.example.org/v1/x https://api.telegram.org/bot123456:AAF-bot-token/getMe')).toBe(
    'https://api.example.org/v1/x https://api.telegram.org/bot***/getMe',
  );
});

test('start dates and a database file from the environment are not secrets', () => {
  process.env.RL_SECRETS_START = '2024-03-01T00:00:00Z';
  process.env.RL_SECRETS_DB = tmp.path('from-env.duckdb');
  const config = load(
    { base_url: 'https://api.example.com' },
    {
      incremental: { cursor_field: 'updated_at', start: '${env:RL_SECRETS_START}' },
      write: 'append',
    },
  );
  expect(config.resources[0]?.incremental?.start).toBe('2024-03-01T00:00:00Z');
  expect(redact('updated_at 2024-03-01T00:00:00Z')).toBe('updated_at 2024-03-01T00:00:00Z');
  const withDb = loadPipelineFile(
    writePipeline(tmp.dir, 'secrets_db.yaml', {
      id: 'secrets_db',
      source: { base_url: 'https://api.example.com' },
      resources: [{ name: 'things', endpoint: {} }],
      destination: { type: 'duckdb', path: '${env:RL_SECRETS_DB}' },
    }),
  ).config;
  expect(withDb.destination).toMatchObject({ path: process.env.RL_SECRETS_DB });
  expect(redact(`cannot open ${process.env.RL_SECRETS_DB}`)).toBe(`cannot open ${process.env.RL_SECRETS_DB}`);
});

test('a column named like a credential declares a column: its type is not a secret', () => {
  load(
    { base_url: 'https://api.example.com' },
    {
      schema: { token: 'string', key: 'bigint' },
      nested: [{ path: 'items', table: 'items', schema: { password: 'string' } }],
      endpoint: { path: '/things', params: { key: 'literal-key-value' } },
    },
  );
  expect(redact('a string and a bigint')).toBe('a string and a bigint');
  // A literal under a request's `key` still is one.
  expect(redact('?key=literal-key-value')).toBe('?key=***');
});

test('a short number from the environment is a secret only where credentials live', () => {
  process.env.RL_SECRETS_PAGE_SIZE = '2500';
  process.env.RL_SECRETS_PIN = '918273';
  load(
    { base_url: 'https://api.example.com', auth: { type: 'bearer', token: '${env:RL_SECRETS_PIN}' } },
    { endpoint: { path: '/things', params: { per_page: '${env:RL_SECRETS_PAGE_SIZE}' } } },
  );
  // A page size would otherwise mask those digits inside every number of the data (12500, 2500.75...).
  expect(redact('{"id":12500,"price":2500.75}')).toBe('{"id":12500,"price":2500.75}');
  expect(redact('Bearer 918273')).toBe('Bearer ***');
});
