import type { ResourceConfig } from '../config/schema.js';
import { failpoint } from '../core/failpoint.js';
import { renderString, renderValue, type TemplateVars } from '../core/template.js';
import type { HttpClient } from '../http/client.js';
import { createPaginator, type PaginatorState } from './paginators/index.js';
import { recordSelector } from './records.js';

/** Where a stream of pages stands; committed with each batch, read back to resume. */
export interface StreamPosition {
  /** Pages fetched so far in this stream (the next page's index). */
  pageIndex: number;
  paginator: PaginatorState;
  /** The stream has no more pages. */
  done: boolean;
}

export interface Page {
  /** 0-based position of the page in its stream. */
  index: number;
  url: string;
  method: string;
  /** The request's query and body as sent, with credentials masked. */
  request: { query: Record<string, string>; body?: unknown };
  status: number;
  fetchedAt: Date;
  text: string;
  bytes: number;
  records: unknown[];
  /** The stream's position after this page: resuming from it fetches the next page. */
  position: StreamPosition;
}

export interface PageStreamOptions {
  resume?: StreamPosition | undefined;
  signal?: AbortSignal | undefined;
  /** Values for `{window.start}` and friends in the endpoint. */
  vars?: TemplateVars;
  now?: () => Date;
}

/**
 * Every page of one resource, fetched one after another and yielded as each arrives, so memory holds one
 * page at a time however many there are.
 */
export async function* fetchPages(
  resource: ResourceConfig,
  client: HttpClient,
  options: PageStreamOptions = {},
): AsyncGenerator<Page> {
  if (options.resume?.done) return;
  const paginator = createPaginator(resource.paginator, options.resume?.paginator);
  const select = recordSelector(resource.records);
  const now = options.now ?? (() => new Date());
  const { endpoint } = resource;
  const vars = options.vars ?? {};
  const path = renderString(endpoint.path, vars);
  const query = Object.fromEntries(
    Object.entries(endpoint.params).map(([k, v]) => [k, renderString(String(v), vars)]),
  );
  const headers = Object.fromEntries(
    Object.entries(endpoint.headers).map(([k, v]) => [k, renderString(v, vars)]),
  );
  const body = renderValue(endpoint.body, vars);
  let index = options.resume?.pageIndex ?? 0;
  for (;;) {
    const request = { path, query: { ...query }, headers: { ...headers }, body };
    paginator.apply(request);
    const response = await client.request({ method: endpoint.method, ...request }, options.signal);
    const records = select(response.body);
    const more = paginator.advance({
      body: response.body,
      headers: response.headers,
      recordCount: records.length,
    });
    failpoint('page.fetched');
    yield {
      index,
      url: response.url,
      method: endpoint.method,
      request: { query: request.query, ...(request.body === undefined ? {} : { body: request.body }) },
      status: response.status,
      fetchedAt: now(),
      text: response.text,
      bytes: response.bytes,
      records,
      position: { pageIndex: index + 1, paginator: paginator.state(), done: !more },
    };
    if (!more) return;
    index++;
  }
}
