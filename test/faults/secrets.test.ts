import { afterAll, beforeAll, expect, test } from 'vitest';
import { describeError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/logger.js';
import type { LoadOutcome } from '../../src/pipeline/run-load.js';
import { type CliResult, cli } from '../support/cli.js';
import { rows, runYaml, withWorkspace } from '../support/run.js';
import { type ScriptedRequest, type ScriptedServer, scriptedServer } from '../support/scripted-server.js';
import { tempDir, writePipeline } from '../support/workspace.js';

/**
 * No secret leaks. Every auth type runs with recognizable secret values against an API that echoes whatever
 * credentials it receives (in error bodies, in records, and in records that end up quarantined), and that issues tokens at
 * run time (OAuth2, sessions; restlake signs JWTs). First in-process (every log line at trace level, every error
 * as raised), then through the CLI as a user runs it (`run`, `validate`, `check`, `status`, `audit`, `report`).
 * Then every log line, error message, line of CLI output and row of every table in the database (silver,
 * `*__rejected`, bronze, control, audit, `metadata.api_request_log`) is scanned for every secret in the forms a
 * leak takes (as is, URL-encoded, base64, inside basic auth): zero hits.
 *
 * A plain header (`X-Trace`, not a secret) travels the same paths: the scan finds it in every place it scans,
 * which proves the echoes reach those places and that a secret there would be caught.
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
/** Not a secret: sent with every request and in every path, so it shows where the scan looks. */
const VISIBLE = 'VISIBLE-trace-5e6f7a';
/** Obtained at run time: issued by the server, or signed by restlake and seen by the server. */
const issued = new Set<string>();

function echo(r: ScriptedRequest) {
  return { headers: r.headers, query: Object.fromEntries(r.query), body: r.body };
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
    // Each caller's first request fails with an echo: retried, and logged as such.
    if (!failedOnce.has(caller)) {
      failedOnce.add(caller);
      return { status: 500, body: { error: 'denied', got: echo(r) } };
    }
    const page = Number(r.query.get('page') ?? 1);
    if (page > 2) return { body: { items: [] } };
    if (r.path.startsWith('/rejects'))
      return { body: { items: [{ id: `not-a-number-${page}`, got: echo(r) }] } };
    // Page 1 is fine (and commits); page 2 of /broken fails with an echo: a FAILED load after a checkpoint.
    if (r.path.startsWith('/broken') && page === 2)
      return { status: 400, body: { error: 'denied', got: echo(r) } };
    // A record that echoes the request: its values (silver columns) carry the credentials.
    return { body: { items: [{ id: page * 2 - 1, got: echo(r) }, { id: page * 2 }] } };
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
const NAMES = Object.keys(AUTHS);

function pipeline(name: string) {
  const resource = (kind: string) => ({
    name: kind,
    endpoint: { path: `/${kind}/${VISIBLE}` },
    records: 'items',
    paginator: { type: 'page_number' },
  });
  return {
    id: `secrets_${name}`,
    source: {
      base_url: server.url,
      auth: AUTHS[name],
      headers: { 'X-Trace': VISIBLE },
      retry: { max_attempts: 2, initial_delay: 1 },
    },
    resources: [
      resource('data'),
      resource('broken'),
      { ...resource('rejects'), schema: { id: 'bigint' }, on_cast_error: 'quarantine' },
    ],
    destination: { type: 'duckdb', path: db },
    // Page 1 commits (its URL and request in bronze) before page 2 of /broken fails.
    batch_size: 1,
  };
}

/** Every row of every table of the database, as text, one entry per table. */
async function dumpTables(): Promise<Record<string, string>> {
  return withWorkspace({ type: 'duckdb', path: db }, tmp.dir, async (w) => {
    const tables = await rows(
      w,
      `SELECT table_schema || '.' || table_name AS t FROM information_schema.tables`,
    );
    const dump: Record<string, string> = {};
    for (const { t } of tables) dump[String(t)] = JSON.stringify(await rows(w, `SELECT * FROM ${String(t)}`));
    return dump;
  });
}

/** Each secret (and those issued at run time) in the forms a leak takes. */
function leakForms(): string[] {
  const values = [...Object.values(SECRETS), ...issued];
  const forms = values.flatMap((v) => [v, encodeURIComponent(v), Buffer.from(v).toString('base64')]);
  forms.push(Buffer.from(`loader:${SECRETS.BASIC_PASSWORD}`).toString('base64'));
  forms.push(Buffer.from(`restlake:${SECRETS.CLIENT_SECRET}`).toString('base64'));
  return forms;
}

test('no secret of any auth type in logs, errors, CLI output or any table (request log and rejected records included)', async () => {
  // In-process: every log line at trace level, every error as the engine raised it.
  const logs: string[] = [];
  const logger = createLogger({ level: 'trace', format: 'json', write: (line) => logs.push(line) });
  const outcomes: LoadOutcome[] = [];
  const files = NAMES.map((name) => writePipeline(tmp.dir, `secrets_${name}.yaml`, pipeline(name)));
  for (const name of NAMES)
    outcomes.push(...(await runYaml(tmp.dir, pipeline(name), { logger, concurrency: 1 })));
  // The loads did what they should: data after one echoed 500, broken failed on page 2 after committing page 1
  // (PARTIAL), rejects quarantined its records.
  expect(outcomes.map((o) => `${o.row.ConfigId}.${o.resource}:${o.status}`)).toEqual(
    NAMES.flatMap((name) => [
      `secrets_${name}.data:SUCCESS`,
      `secrets_${name}.broken:PARTIAL`,
      `secrets_${name}.rejects:SUCCESS`,
    ]),
  );
  expect(logs.some((line) => line.includes('retrying') && line.includes('denied'))).toBe(true);
  const errors = outcomes.map((o) => (o.error ? describeError(o.error) : '')).join('\n');

  // Through the CLI, as a user runs it: a second run (broken resumes and fails again), then every command that
  // prints what the first runs stored. `status`, `audit` and `report` read the file with no pipeline loaded, so
  // no secret is registered to mask their output: they print the tables as stored.
  const run = await cli(['run', ...files, '--log-level', 'trace'], { cwd: tmp.dir });
  expect(run.code, run.stderr).toBe(4);
  expect(run.stderr).toMatch(/answered 400/);
  const commands: Record<string, CliResult> = {
    run,
    validate: await cli(['validate', ...files], { cwd: tmp.dir }),
    check: await cli(['check', ...files], { cwd: tmp.dir }),
    status: await cli(['status', '--db', db, '-n', '100'], { cwd: tmp.dir }),
    audit: await cli(['audit', '--db', db, '-n', '100'], { cwd: tmp.dir }),
  };
  expect(commands.validate!.code, commands.validate!.stderr).toBe(0);
  expect(commands.check!.stdout).toMatch(/secrets_jwt/);
  // A query key and a token endpoint (its requests reported apart); one at a time: a DuckDB file admits one process.
  for (const name of ['api_key_query', 'oauth2_refresh_token'])
    commands[`report ${name}`] = await cli(['report', `secrets_${name}`, '--db', db], { cwd: tmp.dir });
  expect(commands['report oauth2_refresh_token']!.stdout).toMatch(/data \(auth\)/);
  for (const [command, result] of Object.entries(commands))
    expect(
      result.code === 0 || command === 'run' || command === 'check',
      `${command}: ${result.stderr}`,
    ).toBe(true);

  const tables = await dumpTables();
  expect(Object.keys(tables)).toEqual(
    expect.arrayContaining([
      'main.data',
      'main.rejects__rejected',
      'bronze.secrets_bearer__data',
      'metadata.api_control_table',
      'metadata.api_audit_table',
      'metadata.api_request_log',
    ]),
  );

  // Issued or signed at run time: access tokens, rotated refresh tokens, session tokens, JWTs.
  expect(issued.size).toBeGreaterThanOrEqual(6);
  const haystacks: Record<string, string> = {
    logs: logs.join(''),
    errors,
    ...Object.fromEntries(
      Object.entries(commands).map(([command, r]) => [`restlake ${command}`, r.stdout + r.stderr]),
    ),
    ...tables,
  };
  const forms = leakForms();
  const leaks = Object.entries(haystacks).flatMap(([where, text]) =>
    forms.filter((secret) => text.includes(secret)).map((secret) => `${where}: ${secret}`),
  );
  process.stdout.write(
    `secret scan: ${forms.length} secret forms × ${Object.keys(haystacks).length} places, ${leaks.length} hits\n`,
  );
  expect(leaks).toEqual([]);

  // The scan looks where leaks would be: the plain header the API echoed, or the path it was sent to, is in
  // every one of these places, and the echoed secrets are there too, masked.
  const reached = [
    'logs',
    'errors',
    'restlake run',
    'restlake audit',
    'restlake status',
    'main.data',
    'main.rejects__rejected',
    'bronze.secrets_api_key_query__broken',
    'metadata.api_control_table',
    'metadata.api_audit_table',
    'metadata.api_request_log',
  ];
  expect(reached.filter((where) => !haystacks[where]?.includes(VISIBLE))).toEqual([]);
  expect(haystacks.errors).toMatch(/\*\*\*/);
  expect(haystacks['main.rejects__rejected']).toMatch(/\*\*\*/);
  expect(haystacks['main.data']).toMatch(/\*\*\*/);
  expect(haystacks['bronze.secrets_api_key_query__broken']).toMatch(/key=\*\*\*/);
});
