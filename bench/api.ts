import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The benchmark's API: N records of ~480 bytes (11 fields, one nested object, one small array of scalars),
 * served as `{ "data": [...] }` pages by page number or by a time range. Pages are rendered once and kept as
 * buffers, so that what the benchmark measures is the client, not this server's JSON.stringify.
 */

export interface BenchApiOptions {
  records: number;
  /** Added before every answer: a latency-bound API. */
  latencyMs?: number;
  /** Requests per second the API admits (sliding one-second window); beyond it, 429 with Retry-After. */
  rateLimit?: number;
}

export interface BenchApi {
  url: string;
  /** Requests answered 429 so far. */
  rejected(): number;
  /** Requests answered 200 so far. */
  served(): number;
  reset(): void;
  close(): Promise<void>;
}

export const PAGE_SIZE = 1_000;
/** Record i was last updated at T0 + i seconds: a time window selects a contiguous range of records. */
export const T0 = Date.UTC(2024, 0, 1);
const CITIES = ['Lisbon', 'Oslo', 'Austin', 'Kyoto', 'Nairobi', 'Lima', 'Perth', 'Zurich'];
const TAGS = ['vip', 'beta', 'newsletter', 'enterprise', 'trial'];
const FILLER =
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis.';

/** One record's JSON, built by concatenation (fast, deterministic, no object allocation). */
export function recordJson(i: number): string {
  const id = i + 1;
  const padded = String(id).padStart(8, '0');
  const created = new Date(T0 - 86_400_000 + (i % 86_400) * 1000).toISOString();
  const updated = new Date(T0 + i * 1000).toISOString();
  const balance = ((id * 7919) % 1_000_000) / 100;
  const city = CITIES[id % CITIES.length]!;
  const tags = TAGS.slice(id % 3, (id % 3) + 1 + (id % 2));
  return (
    `{"id":${id},"name":"Customer ${padded}","email":"customer.${padded}@example.com",` +
    `"created_at":"${created}","updated_at":"${updated}","balance":"${balance.toFixed(2)}",` +
    `"active":${id % 5 !== 0},"score":${(id % 10_000) / 100},` +
    `"address":{"street":"${(id % 999) + 1} Main Street","city":"${city}","zip":"${10_000 + (id % 89_999)}","country":"PT"},` +
    `"tags":${JSON.stringify(tags)},"note":"${FILLER}"}`
  );
}

export async function startBenchApi(options: BenchApiOptions): Promise<BenchApi> {
  // Rendering a page's records takes this server 10-15 ms: done while a load runs, it would be timed with
  // the client and take a core from it. The plain API's pages are rendered by `warmPages` before timing; a
  // time range's pages cannot be guessed, so an API serving them behind latency or a rate limit (100k records
  // at most) renders every record as it starts, and a page is then a join.
  const rendered =
    options.latencyMs || options.rateLimit !== undefined
      ? Array.from({ length: options.records }, (_, i) => recordJson(i))
      : undefined;
  const pages = new Map<string, Buffer>();
  const page = (from: number, to: number): Buffer => {
    const key = `${from}:${to}`;
    let body = pages.get(key);
    if (!body) {
      const parts =
        rendered?.slice(from, to) ?? Array.from({ length: to - from }, (_, k) => recordJson(from + k));
      body = Buffer.from(`{"data":[${parts.join(',')}]}`);
      pages.set(key, body);
    }
    return body;
  };
  let rejected = 0;
  let served = 0;
  const admitted: number[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const answer = () => {
      if (options.rateLimit !== undefined) {
        const now = Date.now();
        while (admitted.length > 0 && admitted[0]! <= now - 1_000) admitted.shift();
        if (admitted.length >= options.rateLimit) {
          rejected++;
          const wait = Math.max(1, Math.ceil((admitted[0]! + 1_000 - now) / 1_000));
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(wait) });
          res.end('{"error":"rate limit exceeded"}');
          return;
        }
        admitted.push(now);
      }
      const size = Number(url.searchParams.get('per_page') ?? PAGE_SIZE);
      let from: number;
      let to: number;
      const since = url.searchParams.get('since');
      if (since !== null) {
        // A time range selects records by updated_at; pages number within it.
        const until = url.searchParams.get('until');
        const first = Math.max(0, Math.ceil((Date.parse(since) - T0) / 1000));
        const end = Math.min(options.records, until ? Math.ceil((Date.parse(until) - T0) / 1000) : Infinity);
        const p = Number(url.searchParams.get('page') ?? 1);
        from = Math.min(end, first + (p - 1) * size);
        to = Math.min(end, from + size);
      } else {
        const p = Number(url.searchParams.get('page') ?? 1);
        from = Math.min(options.records, (p - 1) * size);
        to = Math.min(options.records, from + size);
      }
      served++;
      const body = page(from, to);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    };
    if (options.latencyMs) setTimeout(answer, options.latencyMs);
    else answer();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    rejected: () => rejected,
    served: () => served,
    reset: () => {
      rejected = 0;
      served = 0;
      admitted.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Renders every page once, before anything is timed. */
export async function warmPages(api: BenchApi, records: number): Promise<void> {
  const pages = Math.ceil(records / PAGE_SIZE) + 1;
  for (let p = 1; p <= pages; p += 8) {
    await Promise.all(
      Array.from({ length: Math.min(8, pages - p + 1) }, (_, k) =>
        fetch(`${api.url}/records?page=${p + k}&per_page=${PAGE_SIZE}`).then((r) => r.arrayBuffer()),
      ),
    );
  }
  api.reset();
}
