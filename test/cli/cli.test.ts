import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type SampleApi, startSampleApi } from '../../src/sample-api/server.js';
import { BIN, cliEnv } from '../support/cli.js';
import { tempDir, writePipeline } from '../support/workspace.js';

const tmp = tempDir();
let api: SampleApi;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would, in the test's temp folder. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: tmp.dir, env: cliEnv(tmp.dir, env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  api = await startSampleApi({ sizes: { customers: 120, orders: 30, events: 40 } });
});
afterAll(async () => {
  await api.close();
  tmp.cleanup();
});

const env = () => ({ SAMPLE_URL: api.url, SAMPLE_TOKEN: api.token! });
const customersPipeline = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  source: {
    base_url: '${env:SAMPLE_URL}',
    auth: { type: 'bearer', token: '${env:SAMPLE_TOKEN}' },
    retry: { max_attempts: 1 },
  },
  resources: [
    {
      name: 'customers',
      endpoint: { path: '/customers' },
      paginator: { type: 'page_number', page_size: 50 },
      primary_key: ['id'],
      write: 'merge',
    },
  ],
  destination: { type: 'duckdb', path: `./${id}.duckdb` },
  ...extra,
});

describe('restlake CLI', () => {
  test('--help lists every command; every command has --help', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    const commands = [
      'run',
      'validate',
      'check',
      'report',
      'schema',
      'status',
      'audit',
      'retry',
      'query',
      'demo',
      'init',
      'sample-api',
    ];
    for (const command of commands) expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    const results = await Promise.all(commands.map((c) => cli([c, '--help'])));
    results.forEach((r, i) => {
      expect(r.code, commands[i]).toBe(0);
      expect(r.stdout).toMatch(/^Usage: restlake /);
    });
  });

  test('check and report show an example in their --help', async () => {
    for (const command of ['check', 'report']) {
      const { stdout } = await cli([command, '--help']);
      expect(stdout, command).toMatch(new RegExp(`Example:\\n  restlake ${command} `));
    }
  });

  test('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8'));
    expect((await cli(['--version'])).stdout.trim()).toBe(version);
  });

  test('an unknown command or option is a usage error (exit 2)', async () => {
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli(['run', '--nope', 'x.yaml'])).code).toBe(2);
  });

  test('validate: 0 for a good file, 2 with the key path for a bad one, nothing written', async () => {
    writePipeline(tmp.dir, 'good.yaml', customersPipeline('good'));
    writePipeline(tmp.dir, 'bad.yaml', {
      ...customersPipeline('bad'),
      resources: [{ name: 'c', endpoint: {}, paginator: { type: 'pages' } }],
    });
    expect(await cli(['validate', 'good.yaml'], env())).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^ok {2}good\.yaml {2}\(id good, 1 resource\)/),
    });
    const bad = await cli(['validate', 'good.yaml', 'bad.yaml'], env());
    expect(bad.code).toBe(2);
    expect(bad.stdout).toContain(
      'resources[0].paginator.type: expected one of single, page_number, offset, cursor',
    );
    const run = await cli(['run', 'bad.yaml'], env());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('resources[0].paginator.type');
    expect((await cli(['status', '--db', 'bad.duckdb'])).stderr).toMatch(
      /no restlake database at bad\.duckdb/,
    );
  });

  test('run, then status, audit and query read what landed', async () => {
    writePipeline(tmp.dir, 'shop.yaml', customersPipeline('shop'));
    const run = await cli(['run', 'shop.yaml'], env());
    expect(run.stderr).not.toContain(api.token!);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/shop\s+customers\s+FULL_LOAD\s+SUCCESS\s+3\s+120\s+120\s+120/);
    const status = await cli(['status', 'shop', '--db', 'shop.duckdb']);
    expect(status.stdout).toMatch(/customers\s+FULL_LOAD\s+PENDING/);
    expect(status.stdout).toMatch(/customers\s+FULL_LOAD\s+SUCCESS/);
    const audit = await cli(['audit', '-f', 'shop.yaml'], env());
    expect(audit.stdout).toMatch(/shop\s+customers\s+FULL_LOAD\s+SUCCESS\s+1\s+120\s+120\s+120/);
    const query = await cli([
      'query',
      'SELECT count(*) AS n FROM main.customers',
      '--db',
      'shop.duckdb',
      '--json',
    ]);
    expect(query).toMatchObject({ code: 0, stdout: '{"n":"120"}\n' });
    const control = await cli([
      'query',
      'SELECT ConfigId, LoadType, LoadStatus, LastLoadTime FROM metadata.api_control_table ORDER BY IndexNo',
      '--db',
      'shop.duckdb',
    ]);
    expect(control.stdout).toMatch(/ConfigId\s+LoadType\s+LoadStatus\s+LastLoadTime/);
    expect((await cli(['query', 'SELECT nope FROM nowhere', '--db', 'shop.duckdb'])).code).toBe(2);
  });

  test('a failing load exits 4, a rejected token exits 3; retry queues the failed load again', async () => {
    writePipeline(tmp.dir, 'broken.yaml', {
      ...customersPipeline('broken'),
      resources: [{ name: 'missing', endpoint: { path: '/nope' } }],
    });
    const failed = await cli(['run', 'broken.yaml'], env());
    expect(failed.code).toBe(4);
    expect(failed.stdout).toMatch(/missing\s+FULL_LOAD\s+FAILED.*answered 404/);
    expect((await cli(['retry', 'broken', '--db', 'broken.duckdb'])).stdout).toMatch(
      /1 load of broken queued again/,
    );
    writePipeline(tmp.dir, 'denied.yaml', customersPipeline('denied'));
    const denied = await cli(['run', 'denied.yaml'], { ...env(), SAMPLE_TOKEN: 'wrong-token-value' });
    expect(denied.code).toBe(3);
    expect(denied.stdout).toMatch(/answered 401/);
    expect(denied.stdout + denied.stderr).not.toContain('wrong-token-value');
  });

  test('init writes a starter file that validates once its token is set; schema prints JSON Schema', async () => {
    expect((await cli(['init', 'starter'])).code).toBe(0);
    expect((await cli(['init', 'starter'])).code).toBe(2);
    expect((await cli(['init', 'bad-name'])).stderr).toMatch(/not a valid pipeline id/);
    expect((await cli(['validate', 'starter.yaml'])).stdout).toMatch(/STARTER_TOKEN is not set/);
    expect((await cli(['validate', 'starter.yaml'], { STARTER_TOKEN: 'x-123456' })).code).toBe(0);
    const schema = JSON.parse((await cli(['schema'])).stdout);
    expect(schema).toMatchObject({
      $schema: expect.stringContaining('json-schema.org'),
      type: 'object',
      required: expect.arrayContaining(['id', 'source', 'resources']),
    });
  });

  test('demo loads the sample API into a DuckDB file and shows what landed', async () => {
    const demo = await cli(['demo', '--db', 'demo.duckdb']);
    expect(demo.code).toBe(0);
    expect(demo.stdout).toMatch(/customers\s+FULL_LOAD\s+SUCCESS/);
    expect(demo.stdout).toMatch(/main\.events\s+300/);
    expect(demo.stdout).toContain('restlake query');
  });
});
