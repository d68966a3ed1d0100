import { afterAll, expect, test } from 'vitest';
import { loadPipelineFile } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { tempDir, writePipeline } from '../support/workspace.js';

/** The extraction keys: each mistake is reported at the key to change, with what would be right. */

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const source = { base_url: 'https://api.example.com', max_concurrency: 4 };
const tickets = {
  name: 'tickets',
  endpoint: { path: '/tickets', params: { since: '{window.start}', until: '{window.end}' } },
  paginator: { type: 'page_number' },
  window: { every: 'daily' },
  incremental: { cursor_field: 'updated_at', start: '2024-01-01T00:00:00Z' },
  primary_key: ['id'],
  write: 'merge',
};

function load(resources: unknown[]) {
  return loadPipelineFile(writePipeline(tmp.dir, 'p.yaml', { id: 'shop', source, resources }));
}

function problems(resources: unknown[]): string[] {
  try {
    load(resources);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected the pipeline file to be rejected');
}

test('a complete extraction config is accepted with its defaults', () => {
  const { config } = load([
    tickets,
    {
      name: 'payments',
      parent: 'tickets',
      endpoint: { path: '/tickets/{parent.id}/payments', headers: { 'X-Owner': '{parent.owner.id}' } },
      parent_fields: ['id', 'owner.id'],
      window: { every: 'weekly', start: '2024-01-01T00:00:00Z' },
      paginator: { type: 'cursor', cursor_header: 'X-Next', only_cursor_on_follow_up: true, max_pages: 10 },
    },
    {
      name: 'gql',
      endpoint: { path: '/graphql' },
      graphql: {
        query: 'query($after: String) { a(after: $after) { nodes { id } } }',
        variables: { n: '{cursor}' },
      },
      paginator: { type: 'relay', page_info_path: 'data.a.pageInfo' },
    },
  ]);
  expect(config.resources[0]!.window).toEqual({
    every: { unit: 'daily' },
    format: 'iso',
    concurrency: 1,
    inclusive_end: false,
  });
  expect(config.resources[1]).toMatchObject({ parent: 'tickets', parent_fields: ['id', 'owner.id'] });
});

test.each([
  [
    'a placeholder the paginator does not provide',
    [{ ...tickets, endpoint: { path: '/t', params: { p: '{page}', c: '{cursor}' } } }],
    [
      'resources[0].endpoint.params.c: {cursor} needs paginator type cursor or relay; available here: {window.start}, {window.end}, {page}',
    ],
  ],
  [
    'a window placeholder without a window',
    [{ name: 'a', endpoint: { path: '/a/{window.end}' } }],
    ['resources[0].endpoint.path: {window.end} needs a window or incremental; available here: none'],
  ],
  [
    'an unknown placeholder in a POST body',
    [
      {
        name: 'a',
        endpoint: { method: 'POST', body: { paging: { n: '{pgae}' } } },
        paginator: { type: 'page_number' },
      },
    ],
    ['resources[0].endpoint.body.paging.n: unknown placeholder {pgae}; available here: {page}'],
  ],
  [
    'an env reference written as a template',
    [{ name: 'a', endpoint: { headers: { Authorization: 'Bearer {env.TOKEN}' } } }],
    [
      'resources[0].endpoint.headers.Authorization: {env.TOKEN} is not a template: secrets are written ${env:NAME} and resolved once, never per request',
    ],
  ],
  [
    'a parent placeholder without a parent',
    [{ name: 'a', endpoint: { path: '/a/{parent.id}' } }],
    ['resources[0].endpoint.path: {parent.id} needs parent: the resource whose records it comes from'],
  ],
  [
    'a parent that does not exist, and parent_fields without parent',
    [
      { name: 'a', endpoint: {}, parent: 'nope' },
      { name: 'b', endpoint: {}, parent_fields: ['id'] },
    ],
    [
      'resources[0].parent: no resource named "nope"; resources: a, b',
      'resources[1].parent_fields: parent_fields needs parent: the resource whose records these fields come from',
    ],
  ],
  [
    'parents in a loop',
    [
      { name: 'a', endpoint: {}, parent: 'c' },
      { name: 'b', endpoint: {}, parent: 'a' },
      { name: 'c', endpoint: {}, parent: 'b' },
    ],
    [
      'resources[0].parent: the parents loop: a → c → b → a',
      'resources[1].parent: the parents loop: b → a → c → b',
      'resources[2].parent: the parents loop: c → b → a → c',
    ],
  ],
  [
    'a grandchild of a windowed resource without windows of its own',
    [
      tickets,
      {
        name: 'notes',
        parent: 'tickets',
        endpoint: { path: '/tickets/{parent.id}/notes' },
        window: { every: 'daily' },
        write: 'append',
        incremental: { cursor_field: 'at', start: '2024-01-01T00:00:00Z' },
      },
      { name: 'replies', parent: 'notes', endpoint: { path: '/notes/{parent.id}/replies' } },
    ],
    [
      'resources[2].parent: the requests of "tickets" use {window.start}/{window.end}, which a child load fills from its own window: give this resource a window or incremental',
    ],
  ],
  [
    'a child of a windowed parent without windows of its own',
    [tickets, { name: 'notes', parent: 'tickets', endpoint: { path: '/tickets/{parent.id}/notes' } }],
    [
      'resources[1].parent: the requests of "tickets" use {window.start}/{window.end}, which a child load fills from its own window: give this resource a window or incremental',
    ],
  ],
  [
    'a window without a range',
    [{ name: 'a', endpoint: {}, window: { every: '7d' } }],
    ['resources[0].window.start: a window needs a range: set window.start, or make the resource incremental'],
  ],
  [
    'more windows at once than the source allows',
    [{ ...tickets, window: { every: 'hourly', concurrency: 8 } }],
    ["resources[0].window.concurrency: 8 windows at once exceeds the source's max_concurrency (4)"],
  ],
  [
    'a window length that is not a unit or a duration',
    [{ ...tickets, window: { every: 'fortnightly' } }],
    [
      'resources[0].window.every: expected monthly, weekly, daily, hourly or a length of at least a minute such as 7d, 6h or 15m, got "fortnightly"',
    ],
  ],
  [
    'a window format that is neither a name nor a pattern',
    [{ ...tickets, window: { every: 'daily', format: 'unix' } }],
    [
      'resources[0].window.format: expected iso, epoch_s, epoch_ms, date or a pattern with YYYY, MM, DD, HH, mm, ss, SSS (UTC), got "unix"',
    ],
  ],
  [
    'incremental with write: replace',
    [{ ...tickets, write: 'replace' }],
    [
      'resources[0].write: an incremental resource cannot use write: replace (each load would keep only its own increment); use merge with a primary_key, or append',
    ],
  ],
  [
    'incremental end before start',
    [{ ...tickets, incremental: { ...tickets.incremental, end: '2023-01-01T00:00:00Z' } }],
    ['resources[0].incremental.end: must be after incremental.start'],
  ],
  [
    'GraphQL variables on a REST resource, and a body param on a GET',
    [
      { name: 'a', endpoint: {}, paginator: { type: 'cursor', cursor_path: 'next', in: 'variables' } },
      { name: 'b', endpoint: {}, paginator: { type: 'page_number', in: 'body' } },
    ],
    [
      'resources[0].paginator.in: variables are for GraphQL resources (set graphql); use query, body or header',
      'resources[1].paginator.in: a GET request has no body: set endpoint.method: POST, or use query or header',
    ],
  ],
  [
    'a cursor paginator with both a path and a header',
    [{ name: 'a', endpoint: {}, paginator: { type: 'cursor', cursor_path: 'n', cursor_header: 'X-N' } }],
    [
      'resources[0].paginator.cursor_path: give cursor_path or cursor_header, not both: where the next cursor is (cursor_path: a body path such as meta.next_cursor; or cursor_header: a response header)',
    ],
  ],
  [
    'an unknown paginator type lists the known ones',
    [{ name: 'a', endpoint: {}, paginator: { type: 'magic' } }],
    [
      'resources[0].paginator.type: expected one of single, page_number, offset, cursor, next_url, link_header, relay',
    ],
  ],
])('%s', (_name, resources, expected) => {
  expect(problems(resources)).toEqual(expected);
});

test('the GraphQL query is never a template: its braces are GraphQL', () => {
  const { config } = load([
    {
      name: 'gql',
      endpoint: { path: '/graphql' },
      graphql: { query: '{ items {id} page {cursor} }' },
    },
  ]);
  expect(config.resources[0]!.graphql?.query).toBe('{ items {id} page {cursor} }');
});
