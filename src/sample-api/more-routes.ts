import type { IncomingMessage } from 'node:http';
import { type DatasetSizes, event, payments, product } from './datasets.js';
import { executeGraphql } from './graphql.js';
import { integer, type Reply, range } from './paging.js';
import type { TicketStore } from './tickets.js';

/**
 * The sample API's endpoints for the harder shapes: a time-filtered and mutable endpoint, a POST search with
 * paging in the body, a Link-header endpoint, a child endpoint per customer, a header cursor that must travel
 * alone, and GraphQL.
 */
export async function routeMore(
  req: IncomingMessage,
  url: URL,
  body: unknown,
  data: { sizes: DatasetSizes; tickets: TicketStore },
): Promise<Reply> {
  const query = url.searchParams;
  const payments_ = /^\/customers\/([^/]+)\/payments$/.exec(url.pathname);
  if (payments_) return customerPayments(decodeURIComponent(payments_[1]!), query, data.sizes);
  switch (`${req.method} ${url.pathname}`) {
    case 'GET /tickets': {
      const pageSize = Math.min(integer(query, 'page_size', 25, 1), 1_000);
      const page = integer(query, 'page', 1, 1);
      const found = data.tickets.updatedBetween(
        instant(query, 'updated_since'),
        instant(query, 'updated_before'),
      );
      const tickets = found.slice((page - 1) * pageSize, page * pageSize);
      return [200, { tickets, has_more: page * pageSize < found.length }];
    }
    case 'POST /tickets/search': {
      const { interval, paging } = (body ?? {}) as { interval?: unknown; paging?: Record<string, unknown> };
      const [since, before] = typeof interval === 'string' ? interval.split('/') : [];
      const pageNumber = paging?.pageNumber ?? 1;
      const pageSize = paging?.pageSize ?? 25;
      if (typeof pageNumber !== 'number' || typeof pageSize !== 'number' || pageNumber < 1 || pageSize < 1) {
        throw new Error('paging.pageNumber and paging.pageSize must be positive numbers');
      }
      const found = data.tickets.updatedBetween(parse(since, 'interval'), parse(before, 'interval'));
      const entities = found.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
      return [
        200,
        {
          entities,
          pageNumber,
          pageSize,
          pageCount: Math.ceil(found.length / pageSize),
          total: found.length,
        },
      ];
    }
    case 'GET /products': {
      const perPage = Math.min(integer(query, 'per_page', 20, 1), 1_000);
      const page = integer(query, 'page', 1, 1);
      const last = Math.max(1, Math.ceil(data.sizes.products / perPage));
      const link = (n: number, rel: string) =>
        `<${url.pathname}?page=${n}&per_page=${perPage}>; rel="${rel}"`;
      const links = [link(1, 'first'), link(last, 'last')];
      if (page < last) links.unshift(link(page + 1, 'next'));
      return [
        200,
        range((page - 1) * perPage, perPage, data.sizes.products, product),
        { link: links.join(', '), 'x-total-count': String(data.sizes.products) },
      ];
    }
    case 'GET /audit-log': {
      const cursor = query.get('cursor');
      if (cursor !== null && [...query.keys()].length > 1) {
        throw new Error('cursor cannot be combined with other parameters');
      }
      const limit = cursor === null ? Math.min(integer(query, 'limit', 50, 1), 1_000) : 50;
      const since = cursor === null ? (instant(query, 'since')?.getTime() ?? 0) : 0;
      let start = cursor === null ? 0 : Number(Buffer.from(cursor, 'base64url').toString());
      if (cursor === null) while (start < data.sizes.events && event(start, 1).ts < since) start++;
      const entries = range(start, limit, data.sizes.events, (i) => event(i, data.sizes.customers));
      const next =
        start + limit < data.sizes.events
          ? Buffer.from(String(start + limit)).toString('base64url')
          : undefined;
      return [200, { entries }, next ? { 'x-next-cursor': next } : {}];
    }
    case 'POST /graphql':
      return [200, await executeGraphql(body, { customers: data.sizes.customers, tickets: data.tickets })];
    default:
      return [404, { error: `no such endpoint: ${req.method} ${url.pathname}` }];
  }
}

const PAYMENTS_PER_PAGE = 2;

function customerPayments(id: string, query: URLSearchParams, sizes: DatasetSizes): Reply {
  const customerId = Number(id);
  if (!Number.isInteger(customerId) || customerId < 1 || customerId > sizes.customers) {
    return [404, { error: `no customer ${id}` }];
  }
  const page = integer(query, 'page', 1, 1);
  const all = payments(customerId);
  const next = page * PAYMENTS_PER_PAGE < all.length ? `payments?page=${page + 1}` : null;
  return [200, { payments: all.slice((page - 1) * PAYMENTS_PER_PAGE, page * PAYMENTS_PER_PAGE), next }];
}

function instant(query: URLSearchParams, name: string): Date | undefined {
  const text = query.get(name);
  return text === null ? undefined : parse(text, name);
}

function parse(text: string | undefined, name: string): Date | undefined {
  if (text === undefined || text === '') return undefined;
  const at = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text);
  if (Number.isNaN(at))
    throw new Error(`${name} must be an ISO 8601 timestamp or epoch seconds, got "${text}"`);
  return new Date(at);
}
