import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { customer, type DatasetSizes, DEFAULT_SIZES, event, order } from './datasets.js';
import { routeMore } from './more-routes.js';
import { integer, type Reply, range } from './paging.js';
import { TicketStore } from './tickets.js';

/**
 * The sample API bundled with restlake: deterministic data in the three response shapes real APIs use, with
 * the three common pagination styles, behind bearer-token auth.
 *
 * | endpoint | shape | pagination |
 * |---|---|---|
 * | `GET /customers?page=&per_page=` | top-level array | page number (empty page ends) |
 * | `GET /orders?offset=&limit=` | `{ results, total }` | offset/limit |
 * | `GET /events?cursor=&limit=` | `{ data: { items }, meta: { next_cursor } }` | cursor |
 * | `GET /tickets?updated_since=&updated_before=&page=&page_size=` | `{ tickets, has_more }` | page number, time filter |
 * | `POST /tickets/search` `{ interval, paging: { pageSize, pageNumber } }` | `{ entities, pageCount, total }` | page number in the body |
 * | `GET /products?page=&per_page=` | top-level array | `Link` header, `X-Total-Count` |
 * | `GET /customers/{id}/payments?page=` | `{ payments, next }` | relative next URL (a child of customers) |
 * | `GET /audit-log?since=&limit=` | `{ entries }` | cursor in `X-Next-Cursor`, alone on follow-ups |
 * | `POST /graphql` | customers (Relay connection), tickets (offset/limit, time filter) | relay / offset variables |
 * | `GET /health` | `{ ok: true }` | none, no auth |
 */
export interface SampleApiOptions {
  port?: number;
  /** Bearer token every data endpoint requires; `null` turns auth off. */
  token?: string | null;
  sizes?: Partial<DatasetSizes>;
  /**
   * Called with every request before it is answered; the answer waits for the returned promise (a test can
   * hold a request to kill a loader at an exact point).
   */
  onRequest?: (request: SampleRequest) => void | Promise<void>;
}

export interface SampleRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** The parsed JSON body of a POST. */
  body: unknown;
}

export interface SampleApi {
  url: string;
  port: number;
  token: string | null;
  sizes: DatasetSizes;
  /** Requests served so far, by path. */
  requests: Map<string, number>;
  /** The tickets, which can be updated and added to between loads. */
  tickets: TicketStore;
  close(): Promise<void>;
}

export const SAMPLE_TOKEN = 'sample-api-token-0123456789';

const MAX_PAGE_SIZE = 1_000;

export async function startSampleApi(options: SampleApiOptions = {}): Promise<SampleApi> {
  const sizes = { ...DEFAULT_SIZES, ...options.sizes };
  const token = options.token === undefined ? SAMPLE_TOKEN : options.token;
  const requests = new Map<string, number>();
  const tickets = new TicketStore(sizes.tickets, sizes.customers);
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.set(url.pathname, (requests.get(url.pathname) ?? 0) + 1);
    let reply: Reply;
    try {
      const body = await readJson(req);
      await options.onRequest?.({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        body,
      });
      reply = route(req, url, sizes, token) ?? (await routeMore(req, url, body, { sizes, tickets }));
    } catch (error) {
      reply = [400, { error: (error as Error).message }];
    }
    if (!res.destroyed) send(req, res, ...reply);
  });
  server.keepAliveTimeout = 30_000;
  await listen(server, options.port ?? 0);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    token,
    sizes,
    requests,
    tickets,
    close: () => close(server),
  };
}

function route(req: IncomingMessage, url: URL, sizes: DatasetSizes, token: string | null): Reply | undefined {
  if (url.pathname === '/health') return [200, { ok: true }];
  if (token !== null && req.headers.authorization !== `Bearer ${token}`) {
    return [401, { error: 'missing or invalid bearer token' }];
  }
  const query = url.searchParams;
  switch (url.pathname) {
    case '/customers': {
      const page = integer(query, 'page', 1, 1);
      const perPage = Math.min(integer(query, 'per_page', 50, 1), MAX_PAGE_SIZE);
      return [200, range((page - 1) * perPage, perPage, sizes.customers, customer)];
    }
    case '/orders': {
      const offset = integer(query, 'offset', 0, 0);
      const limit = Math.min(integer(query, 'limit', 25, 1), MAX_PAGE_SIZE);
      const results = range(offset, limit, sizes.orders, (i) => order(i, sizes.customers));
      return [200, { results, total: sizes.orders, offset, limit }];
    }
    case '/events': {
      // The cursor is opaque to clients; here it is the base64 of the next index.
      const cursor = query.get('cursor');
      const start = cursor ? Number(Buffer.from(cursor, 'base64url').toString()) : 0;
      if (!Number.isInteger(start) || start < 0) throw new Error('invalid cursor');
      const limit = Math.min(integer(query, 'limit', 100, 1), MAX_PAGE_SIZE);
      const items = range(start, limit, sizes.events, (i) => event(i, sizes.customers));
      const next =
        start + limit < sizes.events ? Buffer.from(String(start + limit)).toString('base64url') : null;
      return [200, { data: { items }, meta: { next_cursor: next, count: items.length } }];
    }
    default:
      return undefined;
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString());
  } catch {
    throw new Error('the body is not JSON');
  }
}

/** Like most public APIs, the sample API compresses what the client accepts compressed. */
function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  const gzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
  const payload = gzip ? gzipSync(text) : Buffer.from(text);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': payload.length,
    ...(gzip ? { 'content-encoding': 'gzip', vary: 'accept-encoding' } : {}),
    ...headers,
  });
  res.end(payload);
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
