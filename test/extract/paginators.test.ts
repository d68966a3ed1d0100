import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resourceSchema } from '../../src/config/resource.js';
import { sourceSchema } from '../../src/config/source.js';
import { fetchPages, type StreamPage, type StreamPosition } from '../../src/extract/pages.js';
import { HttpClient } from '../../src/http/client.js';
import {
  type Reply,
  type ScriptedRequest,
  type ScriptedServer,
  scriptedServer,
} from '../support/scripted-server.js';

/**
 * The paginator conformance suite: every paginator walks a real local API written in its style and must
 * (1) yield every record exactly once, in order, with the expected number of requests, and (2) resume from
 * the serialized position after page 2 with exactly the remaining records, fetching nothing twice.
 */

interface Api {
  /** Records the API holds: ids 1..count. */
  count: number;
  base: string;
}

interface Case {
  name: string;
  /** The resource, as in a pipeline file (`endpoint` defaults to `{}`). */
  resource: Record<string, unknown>;
  /** Answers one request of the API style being tested. */
  serve: (req: ScriptedRequest, api: Api) => Reply;
  requests: number;
  count?: number;
}

const SIZE = 5;
const ids = (from: number, to: number, count: number) =>
  Array.from({ length: Math.max(0, Math.min(to, count) - from) }, (_, i) => ({ id: from + i + 1 }));
const num = (req: ScriptedRequest, name: string, fallback: number) => Number(req.query.get(name) ?? fallback);
// Each API style reads its own body shape; the cases are the types.
// biome-ignore lint/suspicious/noExplicitAny: request bodies of many API styles
const json = (req: ScriptedRequest) => (req.body ? JSON.parse(req.body) : {}) as Record<string, any>;
const cursorOf = (n: number) => Buffer.from(`i${n}`).toString('base64url');
const indexOf = (cursor: string | null | undefined) =>
  cursor ? Number(Buffer.from(cursor, 'base64url').toString().slice(1)) : 0;

const CASES: Case[] = [
  {
    name: 'page_number: stops on the first empty page',
    resource: { paginator: { type: 'page_number' } },
    serve: (req, api) => {
      const page = num(req, 'page', 1);
      return { body: ids((page - 1) * SIZE, page * SIZE, api.count) };
    },
    requests: 6,
  },
  {
    name: 'page_number: page size param, stops on a short page',
    resource: { paginator: { type: 'page_number', page_size: SIZE, page_size_param: 'per_page' } },
    serve: (req, api) => {
      const size = num(req, 'per_page', 100);
      const page = num(req, 'page', 1);
      return { body: ids((page - 1) * size, page * size, api.count) };
    },
    requests: 5,
  },
  {
    name: 'page_number: start 0, total_pages from the body (no empty page needed)',
    count: 25,
    resource: {
      records: 'items',
      paginator: { type: 'page_number', param: 'p', start: 0, total_pages_path: 'meta.pages' },
    },
    serve: (req, api) => {
      const page = num(req, 'p', 0);
      return {
        body: {
          items: ids(page * SIZE, (page + 1) * SIZE, api.count),
          meta: { pages: Math.ceil(api.count / SIZE) },
        },
      };
    },
    requests: 5,
  },
  {
    name: 'page_number: has_more flag from the body',
    count: 25,
    resource: { records: 'items', paginator: { type: 'page_number', has_more_path: 'has_more' } },
    serve: (req, api) => {
      const page = num(req, 'page', 1);
      return {
        body: { items: ids((page - 1) * SIZE, page * SIZE, api.count), has_more: page * SIZE < api.count },
      };
    },
    requests: 5,
  },
  {
    name: 'page_number: page number and size in a POST body at a dotted path',
    resource: {
      endpoint: { method: 'POST', body: { filter: { status: 'open' } } },
      records: 'hits',
      paginator: {
        type: 'page_number',
        in: 'body',
        param: 'paging.pageNumber',
        page_size: SIZE,
        page_size_param: 'paging.pageSize',
      },
    },
    serve: (req, api) => {
      const body = json(req);
      if (body.filter?.status !== 'open') return { status: 400, body: { error: 'filter lost' } };
      const { pageNumber, pageSize } = body.paging;
      if (typeof pageNumber !== 'number')
        return { status: 400, body: { error: 'pageNumber must be a number' } };
      return { body: { hits: ids((pageNumber - 1) * pageSize, pageNumber * pageSize, api.count) } };
    },
    requests: 5,
  },
  {
    name: 'page_number: "{page}" placed by a template in the body keeps its number type',
    resource: {
      endpoint: {
        method: 'POST',
        body: { paging: { pageSize: SIZE, pageNumber: '{page}' }, label: 'page {page}' },
      },
      paginator: { type: 'page_number' },
    },
    serve: (req, api) => {
      const body = json(req);
      const page = body.paging.pageNumber;
      if (typeof page !== 'number' || body.label !== `page ${page}` || req.query.has('page'))
        return { status: 400, body: { error: `bad request ${req.body}` } };
      return { body: ids((page - 1) * SIZE, page * SIZE, api.count) };
    },
    requests: 6,
  },
  {
    name: 'page_number: page in a header',
    resource: { paginator: { type: 'page_number', in: 'header', param: 'X-Page' } },
    serve: (req, api) => {
      const page = Number(req.headers['x-page']);
      return { body: ids((page - 1) * SIZE, page * SIZE, api.count) };
    },
    requests: 6,
  },
  {
    name: 'offset: stops on a short page',
    resource: { records: 'results', paginator: { type: 'offset', limit: SIZE } },
    serve: (req, api) => {
      const offset = num(req, 'offset', 0);
      return { body: { results: ids(offset, offset + num(req, 'limit', 10), api.count) } };
    },
    requests: 5,
  },
  {
    name: 'offset: total from a body path ends without an empty page',
    count: 25,
    resource: { records: 'results', paginator: { type: 'offset', limit: SIZE, total_path: 'total' } },
    serve: (req, api) => {
      const offset = num(req, 'offset', 0);
      return { body: { results: ids(offset, offset + num(req, 'limit', 10), api.count), total: api.count } };
    },
    requests: 5,
  },
  {
    name: 'offset: total from the X-Total-Count header',
    count: 25,
    resource: {
      paginator: {
        type: 'offset',
        param: 'skip',
        limit_param: 'take',
        limit: SIZE,
        total_header: 'X-Total-Count',
      },
    },
    serve: (req, api) => {
      const skip = num(req, 'skip', 0);
      return {
        body: ids(skip, skip + num(req, 'take', 10), api.count),
        headers: { 'X-Total-Count': String(api.count) },
      };
    },
    requests: 5,
  },
  {
    name: 'cursor: from a body path',
    resource: {
      endpoint: { params: { limit: SIZE } },
      records: 'data.items[]',
      paginator: { type: 'cursor', cursor_path: 'meta.next' },
    },
    serve: (req, api) => {
      const start = indexOf(req.query.get('cursor'));
      const next = start + SIZE < api.count ? cursorOf(start + SIZE) : null;
      return { body: { data: { items: ids(start, start + SIZE, api.count) }, meta: { next } } };
    },
    requests: 5,
  },
  {
    // Twitter's next_cursor: a number beyond 2^53, which JSON.parse would round to another cursor.
    name: 'cursor: a numeric cursor beyond 2^53 is sent back digit for digit',
    resource: {
      records: 'items',
      paginator: { type: 'cursor', cursor_path: 'next_cursor' },
    },
    serve: (req, api) => {
      const base = 1234567890123456789n;
      const cursor = req.query.get('cursor');
      const start = cursor === null ? 0 : Number(BigInt(cursor) - base);
      if (!Number.isInteger(start) || start % SIZE !== 0) return { status: 400, body: { error: cursor } };
      const next = start + SIZE < api.count ? String(base + BigInt(start + SIZE)) : 'null';
      return {
        raw: `{"items":${JSON.stringify(ids(start, start + SIZE, api.count))},"next_cursor":${next}}`,
      };
    },
    requests: 5,
  },
  {
    name: 'cursor: from a response header, sent in a header',
    resource: {
      paginator: { type: 'cursor', cursor_header: 'X-Next-Cursor', in: 'header', param: 'X-Cursor' },
    },
    serve: (req, api) => {
      const start = indexOf(req.headers['x-cursor'] as string | undefined);
      const headers: Record<string, string> = {};
      if (start + SIZE < api.count) headers['X-Next-Cursor'] = cursorOf(start + SIZE);
      return { body: ids(start, start + SIZE, api.count), headers };
    },
    requests: 5,
  },
  {
    name: 'cursor: only the cursor on follow-up requests (the API rejects filters beside a cursor)',
    resource: {
      endpoint: { params: { since: '2024-01-01', limit: SIZE } },
      records: 'items',
      paginator: { type: 'cursor', cursor_path: 'next', param: 'page_token', only_cursor_on_follow_up: true },
    },
    serve: (req, api) => {
      const token = req.query.get('page_token');
      if (token && [...req.query.keys()].length > 1)
        return { status: 400, body: { error: 'page_token cannot be combined with other parameters' } };
      if (!token && req.query.get('since') !== '2024-01-01') return { status: 400, body: { error: 'since' } };
      const start = indexOf(token);
      return {
        body: {
          items: ids(start, start + SIZE, api.count),
          next: start + SIZE < api.count ? cursorOf(start + SIZE) : '',
        },
      };
    },
    requests: 5,
  },
  {
    name: 'next_url: absolute URL from a body path, followed as given',
    resource: {
      endpoint: { path: '/items', params: { status: 'open' } },
      records: 'results',
      paginator: { type: 'next_url', next_path: 'links.next' },
    },
    serve: (req, api) => {
      if (req.query.get('status') !== 'open') return { status: 400, body: { error: 'status lost' } };
      const page = num(req, 'pg', 1);
      const next = page * SIZE < api.count ? `${api.base}/items?status=open&pg=${page + 1}` : null;
      return { body: { results: ids((page - 1) * SIZE, page * SIZE, api.count), links: { next } } };
    },
    requests: 5,
  },
  {
    name: 'next_url: relative URL',
    resource: {
      endpoint: { path: '/v2/items' },
      records: 'results',
      paginator: { type: 'next_url', next_path: 'next' },
    },
    serve: (req, api) => {
      if (req.path !== '/v2/items') return { status: 404, body: { error: req.path } };
      const page = num(req, 'pg', 1);
      const next = page * SIZE < api.count ? `items?pg=${page + 1}` : null;
      return { body: { results: ids((page - 1) * SIZE, page * SIZE, api.count), next } };
    },
    requests: 5,
  },
  {
    name: 'link_header: RFC 8288 Link rel="next"',
    resource: {
      endpoint: { path: '/repos', params: { per_page: SIZE } },
      paginator: { type: 'link_header' },
    },
    serve: (req, api) => {
      const page = num(req, 'page', 1);
      const last = Math.ceil(api.count / SIZE);
      const links = [`<${api.base}/repos?per_page=${SIZE}&page=${last}>; rel="last"`];
      if (page < last) links.unshift(`<${api.base}/repos?per_page=${SIZE}&page=${page + 1}>; rel="next"`);
      return { body: ids((page - 1) * SIZE, page * SIZE, api.count), headers: { Link: links.join(', ') } };
    },
    requests: 5,
  },
  {
    name: 'relay: GraphQL pageInfo.hasNextPage / endCursor in variables',
    resource: {
      endpoint: { path: '/graphql' },
      graphql: {
        query:
          'query($first: Int, $after: String) { items(first: $first, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }',
      },
      records: 'data.items.nodes',
      paginator: { type: 'relay', page_info_path: 'data.items.pageInfo', page_size: SIZE },
    },
    serve: (req, api) => {
      const { query, variables } = json(req);
      if (req.method !== 'POST' || !String(query).startsWith('query(')) return { status: 400, body: {} };
      const start = indexOf(variables.after);
      const end = start + variables.first;
      return {
        body: {
          data: {
            items: {
              nodes: ids(start, end, api.count),
              pageInfo: { hasNextPage: end < api.count, endCursor: end < api.count ? cursorOf(end) : null },
            },
          },
        },
      };
    },
    requests: 5,
  },
  {
    name: 'offset: GraphQL offset variables',
    resource: {
      endpoint: { path: '/graphql' },
      graphql: { query: 'query($skip: Int!, $take: Int!) { items(skip: $skip, take: $take) { id } }' },
      records: 'data.items',
      paginator: { type: 'offset', param: 'skip', limit_param: 'take', limit: SIZE },
    },
    serve: (req, api) => {
      const { skip, take } = json(req).variables;
      return { body: { data: { items: ids(skip, skip + take, api.count) } } };
    },
    requests: 5,
  },
];

let server: ScriptedServer;
let serve: (req: ScriptedRequest) => Reply = () => ({ status: 500 });
let client: HttpClient;

beforeAll(async () => {
  server = await scriptedServer((req) => serve(req));
  client = new HttpClient(sourceSchema.parse({ base_url: server.url, retry: { max_attempts: 1 } }));
});
afterAll(async () => {
  await client.close();
  await server.close();
});

function spec(resource: Record<string, unknown>) {
  return resourceSchema.parse({ name: 'items', endpoint: {}, ...resource });
}

async function walk(resource: ReturnType<typeof spec>, resume?: StreamPosition, stopAfter = Infinity) {
  const pages: StreamPage[] = [];
  for await (const page of fetchPages(resource, client, { resume })) {
    pages.push(page);
    if (pages.length >= stopAfter) break;
  }
  return { pages, ids: pages.flatMap((p) => p.records.map((r) => (r as { id: number }).id)) };
}

describe.each(CASES)('$name', (c) => {
  const api = () => ({ count: c.count ?? 23, base: server.url });
  const all = () => Array.from({ length: api().count }, (_, i) => i + 1);

  test('walks every record once, in order', async () => {
    serve = (req) => c.serve(req, api());
    const before = server.requests.length;
    const { pages, ids } = await walk(spec(c.resource));
    const failed = server.requests.slice(before).find((_, i) => pages[i]?.status !== 200);
    expect(failed, 'every request was accepted').toBeUndefined();
    expect(ids).toEqual(all());
    expect(server.requests.length - before).toBe(c.requests);
    expect(pages.at(-1)!.position.done).toBe(true);
  });

  test('resumes from the saved position after page 2 with exactly the rest', async () => {
    serve = (req) => c.serve(req, api());
    const resource = spec(c.resource);
    const first = await walk(resource, undefined, 2);
    const saved = JSON.parse(JSON.stringify(first.pages.at(-1)!.position)) as StreamPosition;
    expect(saved).toMatchObject({ pageIndex: 2, done: false });
    const before = server.requests.length;
    const rest = await walk(resource, saved);
    expect([...first.ids, ...rest.ids]).toEqual(all());
    expect(server.requests.length - before).toBe(c.requests - 2);
    expect(rest.pages[0]!.index).toBe(2);
  });
});

describe('single', () => {
  test('one request, whatever the body', async () => {
    serve = () => ({ body: { items: [{ id: 1 }], next: 'ignored' } });
    const before = server.requests.length;
    const { pages } = await walk(spec({ records: 'items' }));
    expect(pages).toHaveLength(1);
    expect(pages[0]!.position.done).toBe(true);
    expect(server.requests.length - before).toBe(1);
  });
});

describe('guards', () => {
  test('max_pages stops the walk however many pages the API has', async () => {
    serve = (req) => ({ body: ids((num(req, 'page', 1) - 1) * SIZE, num(req, 'page', 1) * SIZE, 1000) });
    const { pages } = await walk(spec({ paginator: { type: 'page_number', max_pages: 3 } }));
    expect(pages).toHaveLength(3);
    expect(pages.at(-1)!.position.done).toBe(true);
  });

  test.each([
    ['cursor', { paginator: { type: 'cursor', cursor_path: 'next' }, records: 'items' }, ['A', 'B', 'A']],
    [
      'next_url',
      { paginator: { type: 'next_url', next_path: 'next' }, records: 'items' },
      ['/a', '/b', '/a'],
    ],
  ])('a %s the API already returned fails the walk instead of looping', async (_name, resource, sequence) => {
    let n = 0;
    serve = () => ({ body: { items: [{ id: ++n }], next: sequence[(n - 1) % sequence.length] } });
    await expect(walk(spec(resource))).rejects.toThrow(
      /returned the .* a second time; stopping to avoid an endless loop/,
    );
  });

  test('a relay endCursor seen before fails the walk', async () => {
    serve = () => ({
      body: { data: { c: { nodes: [{ id: 1 }], pageInfo: { hasNextPage: true, endCursor: 'same' } } } },
    });
    const resource = spec({
      endpoint: { path: '/graphql' },
      graphql: { query: '{ c { nodes { id } } }' },
      records: 'data.c.nodes',
      paginator: { type: 'relay', page_info_path: 'data.c.pageInfo' },
    });
    await expect(walk(resource)).rejects.toThrow(/endCursor "same" a second time/);
  });

  test('an API that ignores the page parameter (the same page again) fails instead of looping forever', async () => {
    serve = () => ({ body: ids(0, SIZE, 100) });
    await expect(walk(spec({ paginator: { type: 'page_number', param: 'pagina' } }))).rejects.toThrow(
      /page 1 is the same as the page before it/,
    );
  });

  test('a GraphQL response with errors fails the page with their messages', async () => {
    serve = () => ({
      body: {
        data: { items: null },
        errors: [
          { message: 'Cannot query field "nmae" on type "Item"', path: ['items', 0] },
          { message: 'Rate limit exceeded' },
        ],
      },
    });
    const resource = spec({ endpoint: { path: '/graphql' }, graphql: { query: '{ items { nmae } }' } });
    const failure = walk(resource);
    await expect(failure).rejects.toMatchObject({ code: 'GRAPHQL' });
    await expect(failure).rejects.toThrow(
      /GraphQL errors: Cannot query field "nmae" on type "Item" \(at items\.0\); Rate limit exceeded/,
    );
  });

  test('a parameter that is exactly {cursor} is left out of the first request', async () => {
    serve = (req) => {
      const cursor = req.query.get('after');
      return { body: { items: [{ id: cursor ? 2 : 1 }], next: cursor ? null : 'c2' } };
    };
    const before = server.requests.length;
    const { ids: got } = await walk(
      spec({
        endpoint: { params: { after: '{cursor}' } },
        records: 'items',
        paginator: { type: 'cursor', cursor_path: 'next' },
      }),
    );
    expect(got).toEqual([1, 2]);
    expect(server.requests.slice(before).map((r) => r.query.toString())).toEqual(['', 'after=c2']);
  });
});

describe('links and secrets', () => {
  test('a next link is saved relative to the base URL, so it resumes even when the base URL is a secret', async () => {
    const { registerSecret } = await import('../../src/core/redact.js');
    registerSecret(server.url);
    const relative = CASES.find((c) => c.name === 'next_url: relative URL')!;
    serve = (req) => relative.serve(req, { count: 23, base: server.url });
    const resource = spec(relative.resource);
    const first = await walk(resource, undefined, 2);
    const saved = first.pages.at(-1)!.position;
    expect(saved.paginator).toEqual({ next: 'v2/items?pg=3' });
    const rest = await walk(resource, saved);
    expect([...first.ids, ...rest.ids]).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
  });
});
