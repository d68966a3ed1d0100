import { afterAll, beforeAll, expect, test } from 'vitest';
import { describeError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/logger.js';
import type { LoadOutcome } from '../../src/pipeline/run-load.js';
import { rows, runYaml, withWorkspace } from '../support/run.js';
import { type ScriptedRequest, type ScriptedServer, scriptedServer } from '../support/scripted-server.js';
import { tempDir } from '../support/workspace.js';

/**
 * Every auth type, with recognizable secret values, against an API that echoes whatever credentials it
 * receives into its error bodies: not one secret (nor its URL-encoded or base64 form) may appear in the logs,
 * the errors, the bronze, silver, control and audit rows, or the request log.
 */
const tmp = tempDir();
const db = tmp.path('secrets.duckdb');
let server: ScriptedServer;

const SECRETS = {
  BEARER: 'SECRET-bearer-1a2b3c',
  API_KEY_HEADER: 'SECRET-apikey-header-4d5e',
  API_KEY_QUERY: 'SECRET-apikey-query-6f7a',
  BASIC_PASSWORD: 'SECRET-basic-pw-8b9c',
  CLIENT_SECRET: 'SECRET-client-0d1e',
  REFRESH_TOKEN: 'SECRET-refresh-4b5c',
  JWT_KEY: 'SECRET-jwt-hs256-key-0123456789abcdef',
  SESSION_PASSWORD: 'SECRET-session-pw-1b2c',
};
/** Obtained at run time: issued by the server, or signed by restlake and seen by the server. */
const issued = new Set<string>();

function echo(r: ScriptedRequest): string {
  return JSON.stringify({
    error: 'denied',
    got: { headers: r.headers, query: Object.fromEntries(r.query), body: r.body },
  });
}

beforeAll(async () => {
  for (const [name, value] of Object.entries(SECRETS)) process.env[`SECRETS_TEST_${name}`] = value;
  const failedOnce = new Set<string>();
  let n = 0;
  server = await scriptedServer((r) => {
    if (r.path === '/oauth/token') {
      const grant = new URLSearchParams(r.body).get('grant_type');
      const access = `SECRET-access-${grant}-${++n}`;
      const refresh = `SECRET-rotated-${n}`;
      issued.add(access);
      issued.add(refresh);
      return {
        body: {
          access_token: access,
          expires_in: 3600,
          ...(grant === 'refresh_token' ? { refresh_token: refresh } : {}),
        },
      };
    }
    if (r.path === '/login') {
      const token = `SECRET-session-token-${++n}`;
      issued.add(token);
      return { body: { session: { token } } };
    }
    const auth = String(r.headers.authorization ?? '');
    if (auth.startsWith('Bearer ey')) issued.add(auth.slice('Bearer '.length));
    const caller = `${auth}|${r.headers['x-api-key'] ?? ''}|${r.query.get('key') ?? ''}|${r.headers['x-session'] ?? ''}`;
    if (r.path.endsWith('/broken')) return { status: 400, raw: echo(r) };
    if (!failedOnce.has(caller)) {
      failedOnce.add(caller);
      return { status: 500, raw: echo(r) };
    }
    return {
      body: {
        items: [
          { id: 1, name: 'first' },
          { id: 2, name: 'second' },
        ],
      },
    };
  });
});
afterAll(async () => {
  await server.close();
  tmp.cleanup();
});

const AUTHS: Record<string, Record<string, unknown>> = {
  bearer: { type: 'bearer', token: '${env:SECRETS_TEST_BEARER}' },
  api_key_header: { type: 'api_key', key: '${env:SECRETS_TEST_API_KEY_HEADER}', name: 'X-API-Key' },
  api_key_query: { type: 'api_key', key: '${env:SECRETS_TEST_API_KEY_QUERY}', name: 'key', in: 'query' },
  basic: { type: 'basic', username: 'loader', password: '${env:SECRETS_TEST_BASIC_PASSWORD}' },
  oauth2_client_credentials: {
    type: 'oauth2_client_credentials',
    token_url: '/oauth/token',
    client_id: 'restlake',
    client_secret: '${env:SECRETS_TEST_CLIENT_SECRET}',
    client_auth: 'basic',
  },
  oauth2_refresh_token: {
    type: 'oauth2_refresh_token',
    token_url: '/oauth/token',
    refresh_token: '${env:SECRETS_TEST_REFRESH_TOKEN}',
    client_id: 'restlake',
    client_secret: '${env:SECRETS_TEST_CLIENT_SECRET}',
  },
  jwt: { type: 'jwt', algorithm: 'HS256', key: '${env:SECRETS_TEST_JWT_KEY}', claims: { sub: 'loader' } },
  session: {
    type: 'session',
    login_url: '/login',
    body: { user: 'loader', password: '${env:SECRETS_TEST_SESSION_PASSWORD}' },
    token_path: 'session.token',
    header: 'X-Session',
  },
};

test('no secret of any auth type leaks into logs, errors, bronze, silver, control, audit or request-log rows', async () => {
  const logs: string[] = [];
  const logger = createLogger({ level: 'trace', format: 'json', write: (line) => logs.push(line) });
  const outcomes: LoadOutcome[] = [];
  for (const [name, auth] of Object.entries(AUTHS)) {
    outcomes.push(
      ...(await runYaml(
        tmp.dir,
        {
          id: `secrets_${name}`,
          source: { base_url: server.url, auth, retry: { max_attempts: 2, initial_delay: 1 } },
          resources: [
            { name: 'data', endpoint: { path: '/data' }, records: 'items' },
            { name: 'broken', endpoint: { path: '/broken' } },
          ],
          destination: { type: 'duckdb', path: db },
        },
        { logger, concurrency: 1 },
      )),
    );
  }
  // The loads did what they should: the first page after one echoed 500, the broken resource failed.
  expect(outcomes.map((o) => `${o.row.ConfigId}.${o.resource}:${o.status}`)).toEqual(
    Object.keys(AUTHS).flatMap((name) => [`secrets_${name}.data:SUCCESS`, `secrets_${name}.broken:FAILED`]),
  );
  expect(logs.some((line) => line.includes('retrying') && line.includes('denied'))).toBe(true);

  const stored = await withWorkspace({ type: 'duckdb', path: db }, tmp.dir, async (w) => {
    const tables = await rows(
      w,
      `SELECT table_schema AS s, table_name AS t FROM information_schema.tables WHERE table_schema IN ('main', 'bronze', 'metadata')`,
    );
    const dumps: string[] = [];
    for (const { s, t } of tables) dumps.push(JSON.stringify(await rows(w, `SELECT * FROM "${s}"."${t}"`)));
    return dumps.join('\n');
  });
  expect(stored).toContain('answered 400');
  expect(stored).toContain('/data');

  const errors = outcomes.map((o) => (o.error ? describeError(o.error) : '')).join('\n');
  const haystacks = { logs: logs.join(''), errors, stored };
  // Issued or signed at run time: access tokens, rotated refresh tokens, session tokens, JWTs.
  expect(issued.size).toBeGreaterThanOrEqual(6);
  const values = [...Object.values(SECRETS), ...issued];
  const forms = values.flatMap((v) => [v, encodeURIComponent(v), Buffer.from(v).toString('base64')]);
  forms.push(Buffer.from(`loader:${SECRETS.BASIC_PASSWORD}`).toString('base64'));
  forms.push(Buffer.from(`restlake:${SECRETS.CLIENT_SECRET}`).toString('base64'));
  const leaks = Object.entries(haystacks).flatMap(([where, text]) =>
    forms.filter((secret) => text.includes(secret)).map((secret) => `${where}: ${secret}`),
  );
  expect(leaks).toEqual([]);
  // The echoes are there, masked: the test would see a leak if redaction stopped working.
  expect(haystacks.errors).toMatch(/\*\*\*/);
});
