import { afterAll, beforeAll, expect, test } from 'vitest';
import { resourceSchema } from '../../src/config/resource.js';
import { sourceSchema } from '../../src/config/source.js';
import { type LoadPosition, parseCheckpoint } from '../../src/extract/checkpoint.js';
import { extractPages, planLoadWindows } from '../../src/extract/load-pages.js';
import { HttpClient } from '../../src/http/client.js';
import { type ScriptedServer, scriptedServer } from '../support/scripted-server.js';

/**
 * The load-level stream: windows run concurrently, and the position carried by any page resumes the load
 * with exactly the pages not yet seen, whatever the interleaving of the windows.
 */

let server: ScriptedServer;
let client: HttpClient;
/** Window start (ISO) → how many pages that window has; each page has one record. */
const PAGES: Record<string, number> = {};

beforeAll(async () => {
  server = await scriptedServer(async (req) => {
    const since = req.query.get('since')!;
    const page = Number(req.query.get('page'));
    const total = PAGES[since] ?? 0;
    // Later windows answer faster, so windows finish out of order.
    await new Promise((resolve) => setTimeout(resolve, (Date.parse(since) / 86_400_000) % 3));
    return { body: page <= total ? [{ id: `${since}#${page}` }] : [] };
  });
  client = new HttpClient(sourceSchema.parse({ base_url: server.url, max_concurrency: 4 }));
});
afterAll(async () => {
  await client.close();
  await server.close();
});

const resource = resourceSchema.parse({
  name: 'things',
  endpoint: { params: { since: '{window.start}' } },
  paginator: { type: 'page_number' },
  window: { every: 'daily', concurrency: 3, start: '2024-01-01T00:00:00Z' },
});
const windows = planLoadWindows(resource, {
  start: new Date('2024-01-01T00:00:00Z'),
  end: new Date('2024-01-13T00:00:00Z'),
});
windows.forEach((w, i) => {
  PAGES[w.key] = [3, 0, 1, 5, 2, 0, 4, 1, 1, 6, 2, 3][i]!;
});
const everyId = windows.flatMap((w) => Array.from({ length: PAGES[w.key]! }, (_, i) => `${w.key}#${i + 1}`));

async function load(resume?: LoadPosition, stopAfter = Infinity) {
  const ids: string[] = [];
  let last: LoadPosition | undefined;
  let count = 0;
  for await (const page of extractPages(resource, client, { windows, resume, maxConcurrency: 4 })) {
    ids.push(...page.records.map((r) => (r as { id: string }).id));
    last = page.position;
    if (++count >= stopAfter) break;
  }
  return { ids, last };
}

test('every record of every window, each window in order, whatever the interleaving', async () => {
  const { ids } = await load();
  expect([...ids].sort()).toEqual([...everyId].sort());
  for (const w of windows) {
    const own = ids.filter((id) => id.startsWith(w.key));
    expect(own).toEqual(own.slice().sort((a, b) => Number(a.split('#')[1]) - Number(b.split('#')[1])));
  }
});

test.each([1, 4, 9, 17, 25])(
  'resuming from the position after page %i fetches exactly the rest',
  async (k) => {
    const first = await load(undefined, k);
    const stored = JSON.stringify({ ...first.last, mark: null });
    const saved = parseCheckpoint(stored, windows[0]!.key)!;
    // Finished windows at the front are folded into done_before, never listed.
    const folded = saved.done_before;
    if (folded !== undefined) expect(Object.keys(saved.windows).filter((key) => key < folded)).toEqual([]);
    const before = server.requests.length;
    const rest = await load(saved);
    expect([...first.ids, ...rest.ids].sort()).toEqual([...everyId].sort());
    const again = server.requests.slice(before).map((r) => `${r.query.get('since')}#${r.query.get('page')}`);
    expect(
      again.filter((id) => first.ids.includes(id)),
      'no committed page is fetched again',
    ).toEqual([]);
  },
);

test('one window at a time: each position lists only the window in progress, the earlier ones are folded', async () => {
  const sequential = { ...resource, window: { ...resource.window!, concurrency: 1 } };
  const seen: LoadPosition[] = [];
  for await (const page of extractPages(sequential, client, { windows, maxConcurrency: 4 })) {
    seen.push(page.position);
    expect(Object.keys(page.position.windows)).toEqual([page.window]);
  }
  expect(seen.at(-1)?.done_before).toBe(windows.at(-1)!.key);
});

test('a checkpoint from before windows existed ({ stream, mark }) resumes the first window', () => {
  const legacy = JSON.stringify({
    stream: { pageIndex: 3, paginator: { page: 4 }, done: false },
    mark: null,
  });
  expect(parseCheckpoint(legacy, 'all')).toEqual({
    windows: { all: { pageIndex: 3, paginator: { page: 4 }, done: false } },
    pages: 3,
    mark: null,
  });
});
