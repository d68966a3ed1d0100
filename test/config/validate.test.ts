import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import { loadPipelineFile } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { tempDir, writePipeline } from '../support/workspace.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const valid = {
  id: 'shop',
  source: { base_url: 'https://api.example.com', auth: { type: 'bearer', token: 'abc123456' } },
  resources: [{ name: 'customers', endpoint: { path: '/customers' }, primary_key: ['id'], write: 'merge' }],
};

/** The valid pipeline with one change applied at a key path (undefined deletes it). */
function broken(path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(valid) as Record<string, unknown>;
  const keys = path.split('.');
  let node = copy as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = keys.at(-1)!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

function problems(pipeline: unknown, name = 'p.yaml'): string[] {
  const file = writePipeline(tmp.dir, name, pipeline);
  try {
    loadPipelineFile(file);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected the pipeline file to be rejected');
}

describe('validate', () => {
  test('accepts the valid pipeline and fills in defaults', () => {
    const { config } = loadPipelineFile(writePipeline(tmp.dir, 'ok.yaml', valid));
    expect(config.resources[0]!.paginator).toEqual({ type: 'single' });
    expect(config.destination).toMatchObject({ type: 'duckdb', path: './restlake.duckdb' });
    expect(config.source.retry.max_attempts).toBe(5);
  });

  test.each<[string, Record<string, unknown> | string, RegExp]>([
    ['missing id', broken('id', undefined), /^id: required/],
    ['id with SQL in it', broken('id', 'x; DROP TABLE y'), /^id: id must start with a letter/],
    ['missing source', broken('source', undefined), /^source: required/],
    [
      'base_url not a URL',
      broken('source.base_url', 'api.example.com'),
      /^source\.base_url: expected an http\(s\) URL/,
    ],
    ['unknown top-level key', { ...valid, destinaton: {} }, /^destinaton: unknown key/],
    [
      'unknown auth type',
      broken('source.auth', { type: 'oauth3' }),
      /^source\.auth\.type: expected one of none, bearer, api_key, basic/,
    ],
    ['bearer without token', broken('source.auth', { type: 'bearer' }), /^source\.auth\.token: required/],
    ['timeout not a duration', broken('source.timeout', 'soon'), /^source\.timeout: expected a duration/],
    ['no resources', broken('resources', []), /^resources: at least one resource is required/],
    [
      'unknown paginator',
      { ...valid, resources: [{ name: 'c', endpoint: {}, paginator: { type: 'magic' } }] },
      /^resources\[0\]\.paginator\.type: expected one of single, page_number, offset, cursor/,
    ],
    [
      'cursor paginator without cursor_path',
      { ...valid, resources: [{ name: 'c', endpoint: {}, paginator: { type: 'cursor' } }] },
      /^resources\[0\]\.paginator\.cursor_path: required/,
    ],
    [
      'bad write disposition',
      { ...valid, resources: [{ name: 'c', endpoint: {}, write: 'upsert' }] },
      /^resources\[0\]\.write: expected one of replace, append, merge/,
    ],
    [
      'merge without primary key',
      { ...valid, resources: [{ name: 'c', endpoint: {}, write: 'merge' }] },
      /^resources\[0\]\.primary_key: write: merge needs a primary_key/,
    ],
    [
      'table name with SQL in it',
      { ...valid, resources: [{ name: 'c', table: 'x; DROP TABLE y', endpoint: {} }] },
      /^resources\[0\]\.table: table name must start/,
    ],
    [
      'unknown column type',
      { ...valid, resources: [{ name: 'c', endpoint: {}, schema: { id: 'uuid' } }] },
      /^resources\[0\]\.schema\.id: expected one of string, integer/,
    ],
    [
      'decimal with scale above precision',
      { ...valid, resources: [{ name: 'c', endpoint: {}, schema: { amount: 'decimal(4,6)' } }] },
      /^resources\[0\]\.schema\.amount: expected one of/,
    ],
    [
      'malformed records path',
      { ...valid, resources: [{ name: 'c', endpoint: {}, records: 'data..items' }] },
      /^resources\[0\]\.records: invalid path "data\.\.items"/,
    ],
    [
      'unknown template placeholder',
      { ...valid, resources: [{ name: 'c', endpoint: { params: { since: '{window.begin}' } } }] },
      /^resources\[0\]\.endpoint\.params\.since: unknown placeholder \{window\.begin\}/,
    ],
    [
      'two resources writing one table',
      {
        ...valid,
        resources: [
          { name: 'a', table: 't', endpoint: {} },
          { name: 'b', table: 't', endpoint: {} },
        ],
      },
      /^resources\[1\]\.table: table "t" is already written by resources\[0\]/,
    ],
    [
      'invalid cron',
      { ...valid, schedule: { cron: '61 * * * *' } },
      /^schedule\.cron: invalid cron expression/,
    ],
    [
      'secret from an unset variable',
      broken('source.auth', { type: 'bearer', token: '${env:RESTLAKE_TEST_UNSET_VAR}' }),
      /^source\.auth\.token: environment variable RESTLAKE_TEST_UNSET_VAR is not set/,
    ],
    [
      'secret from a missing file',
      broken('source.auth', { type: 'bearer', token: '${file:./nope.txt}' }),
      /^source\.auth\.token: secret file \.\/nope\.txt does not exist/,
    ],
    [
      'page size out of range',
      { ...valid, resources: [{ name: 'c', endpoint: {}, paginator: { type: 'offset', limit: 0 } }] },
      /^resources\[0\]\.paginator\.limit: /,
    ],
    ['YAML syntax error', 'id: shop\nsource: [unclosed\n', /^: YAML: /],
    ['not a mapping', '- just\n- a list\n', /expected a mapping with id, source and resources/],
  ])('%s', (_name, pipeline, expected) => {
    const found = problems(pipeline);
    expect(
      found.some((p) => expected.test(p)),
      found.join('\n'),
    ).toBe(true);
  });

  test('reports every problem at once', () => {
    const found = problems({
      id: 'bad id',
      source: { base_url: 'nope', auth: { type: 'bearer' } },
      resources: [{ name: 'c', endpoint: {}, write: 'merge', paginator: { type: 'x' } }],
    });
    expect(found.length).toBeGreaterThanOrEqual(4);
  });

  test('resolves ${env:} and ${file:} inside strings', () => {
    process.env.RESTLAKE_TEST_HOST = 'api.example.org';
    writeFileSync(tmp.path('token.txt'), 'file-token-123\n');
    const { config } = loadPipelineFile(
      writePipeline(tmp.dir, 'secrets.yaml', {
        ...valid,
        source: {
          base_url: 'https://${env:RESTLAKE_TEST_HOST}/v1',
          auth: { type: 'bearer', token: '${file:token.txt}' },
        },
      }),
    );
    expect(config.source.base_url).toBe('https://api.example.org/v1');
    expect(config.source.auth).toEqual({ type: 'bearer', token: 'file-token-123' });
  });

  test('a missing file and an unsupported extension are clear', () => {
    expect(() => loadPipelineFile(tmp.path('absent.yaml'))).toThrow(/file not found/);
    writeFileSync(tmp.path('p.toml'), 'id = 1');
    expect(() => loadPipelineFile(tmp.path('p.toml'))).toThrow(/expected a \.yaml, \.yml or \.json file/);
  });

  test('JSON pipeline files work too', () => {
    writeFileSync(tmp.path('p.json'), JSON.stringify(valid));
    expect(loadPipelineFile(tmp.path('p.json')).config.id).toBe('shop');
  });
});
