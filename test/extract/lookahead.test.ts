import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { resourceSchema } from '../../src/config/resource.js';
import { sourceSchema } from '../../src/config/source.js';
import { extractPages, planLoadWindows } from '../../src/extract/load-pages.js';
import { fetchPages } from '../../src/extract/pages.js';
import { HttpClient } from '../../src/http/client.js';
import {
  type Reply,
  type ScriptedRequest,
  type ScriptedServer,
  scriptedServer,
} from '../support/scripted-server.js';

/**
 * Pages fetched ahead: a paginator that can predict its next request (page numbers, offsets) has up to
 * `max_concurrency` requests in flight, while the pages still come out one by one, in order, each exactly
 * once; a cursor paginator, which must read each answer first, never has two. Either way the next page is
 * requested before the consumer gets this one, so fetching overlaps with processing.
 */

const RECORDS = 95;
const SIZE = 10;
let server: ScriptedServer;
let inFlight = 0;
let peak = 0;
/** How the API answers a request for records [from, from + limit). */
let serve: (req: ScriptedRequest, from: number, limit: number) => Reply;
const ids = (from: number, to: number) =>
  Array.from({ length: Math.max(0, Math.min(to, RECORDS) - from) }, (_, i) => ({ id: from + i + 1 }));

beforeAll(async () => {
  server = await scriptedServer(async (req) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    // Slow enough that requests sent ahead overlap.
    await new Promise((resolve) => setTimeout(resolve, 15));
    inFlight--;
    const limit = Number(req.query.get('limit') ?? req.query.get('per_page') ?? SIZE);
    const from = req.query.has('offset')
      ? Number(req.query.get('offset'))
      : req.query.has('cursor')
        ? Number(req.query.get('cursor'))
        : (Number(req.query.get('page') ?? 1) - 1) * limit;
    return serve(req, from, limit);
  });
});
afterEach(async () => {
  // Requests a test sent ahead and then cancelled may still be in the server: let them finish, or they
  // would count as the next test's.
  while (inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  peak = 0;
  server.requests.length = 0;
});
afterAll(() => server.close());

/** A client of the test's server and a resource of its items at `path`, walked with `paginator`. */
function itemsSource(paginator: Record<string, unknown>, maxConcurrency: number, path = '/items') {
  const client = new HttpClient(
    sourceSchema.parse({ base_url: server.url, max_concurrency: maxConcurrency, retry: { max_attempts: 1 } }),
  );
  const resource = resourceSchema.parse({
    name: 'items',
    endpoint: { path },
    records: 'data',
    paginator,
  });
  return { client, resource };
}

async function walk(paginator: Record<string, unknown>, maxConcurrency = 4) {
  const { client, resource } = itemsSource(paginator, maxConcurrency);
  const got: number[] = [];
  const indexes: number[] = [];
  try {
    for await (const page of fetchPages(resource, client, { lookahead: maxConcurrency })) {
      indexes.push(page.index);
      for (const record of page.records as { id: number }[]) got.push(record.id);
    }
  } finally {
    await client.close();
  }
  return { got, indexes, requests: server.requests.length };
}

const all = Array.from({ length: RECORDS }, (_, i) => i + 1);

test('page numbers: several requests in flight, pages in order, every record once', async () => {
  serve = (_req, from, limit) => ({ body: { data: ids(from, from + limit) } });
  const { got, indexes, requests } = await walk({ type: 'page_number', page_size: SIZE });
  expect(got).toEqual(all);
  expect(indexes).toEqual(Array.from({ length: 10 }, (_, i) => i));
  expect(peak).toBeGreaterThan(1);
  expect(peak).toBeLessThanOrEqual(4);
  // 10 pages (the last one short), and at most 3 requests sent ahead past the end.
  expect(requests).toBeGreaterThanOrEqual(10);
  expect(requests).toBeLessThanOrEqual(13);
});

test('offsets: the same, stopping at the short page', async () => {
  serve = (_req, from, limit) => ({ body: { data: ids(from, from + limit) } });
  const { got, requests } = await walk({ type: 'offset', limit: SIZE });
  expect(got).toEqual(all);
  expect(peak).toBeGreaterThan(1);
  expect(requests).toBeLessThanOrEqual(13);
});

test('an API that returns more than the limit asked: the guesses are dropped, nothing is skipped', async () => {
  // Asked for 10, it sends 15: offsets predicted in steps of 10 would overlap; the paginator's own count wins.
  serve = (_req, from) => ({ body: { data: ids(from, from + 15) } });
  const { got } = await walk({ type: 'offset', limit: SIZE });
  expect(got).toEqual(all);
});

test('pages past the end that the API refuses (404) do not fail the stream', async () => {
  serve = (_req, from, limit) =>
    from >= RECORDS + SIZE
      ? { status: 404, body: { error: 'no such page' } }
      : { body: { data: ids(from, from + limit) } };
  const { got } = await walk({ type: 'page_number', page_size: SIZE });
  expect(got).toEqual(all);
});

test('a cursor paginator sends one request at a time', async () => {
  serve = (_req, from, limit) => ({
    body: { data: ids(from, from + limit), next: from + limit < RECORDS ? String(from + limit) : null },
  });
  const { got, requests } = await walk({ type: 'cursor', cursor_path: 'next', param: 'cursor' });
  expect(got).toEqual(all);
  expect(peak).toBe(1);
  expect(requests).toBe(10);
});

test('max_concurrency 1: one request at a time, exactly one per page', async () => {
  serve = (_req, from, limit) => ({ body: { data: ids(from, from + limit) } });
  const { got, requests } = await walk({ type: 'page_number', page_size: SIZE }, 1);
  expect(got).toEqual(all);
  expect(peak).toBe(1);
  expect(requests).toBe(10);
});

test('the next page is on its way while the consumer holds this one, cursor or page number', async () => {
  serve = (_req, from, limit) => ({
    body: { data: ids(from, from + limit), next: from + limit < RECORDS ? String(from + limit) : null },
  });
  for (const paginator of [
    { type: 'cursor', cursor_path: 'next', param: 'cursor' },
    { type: 'page_number', page_size: SIZE },
  ]) {
    // A path of its own: a request the previous stream sent ahead and cancelled may still arrive.
    const path = `/items/${paginator.type}`;
    const sent = () => server.requests.filter((r) => r.path === path).length;
    const { client, resource } = itemsSource(paginator, 1, path);
    try {
      const pages = fetchPages(resource, client, { lookahead: 1 });
      const first = await pages.next();
      expect(first.done).toBe(false);
      // Not pulling the second page: its request must reach the server anyway.
      const deadline = Date.now() + 5_000;
      while (sent() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(sent()).toBe(2);
      const second = await pages.next();
      expect((second.value as { records: { id: number }[] }).records[0]!.id).toBe(SIZE + 1);
      await pages.return(undefined);
    } finally {
      await client.close();
    }
  }
});

test('lookahead 0 (a probe, as restlake check reads): no request goes out before its page is asked for', async () => {
  serve = (_req, from, limit) => ({ body: { data: ids(from, from + limit) } });
  const { client, resource } = itemsSource({ type: 'page_number', page_size: SIZE }, 4);
  const walks = [
    () => fetchPages(resource, client, { lookahead: 0 }),
    () =>
      extractPages(resource, client, {
        windows: planLoadWindows(resource, { start: null, end: null }),
        maxConcurrency: 4,
        noLookahead: true,
      }),
  ];
  try {
    for (const walk of walks) {
      server.requests.length = 0;
      const pages = walk();
      expect((await pages.next()).done).toBe(false);
      // Time enough for a request sent ahead to arrive (the server answers in 15 ms).
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(server.requests.length).toBe(1);
      expect((await pages.next()).done).toBe(false);
      expect(server.requests.length).toBe(2);
      await pages.return(undefined);
    }
  } finally {
    await client.close();
  }
});
