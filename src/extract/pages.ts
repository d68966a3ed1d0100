import type { ResourceConfig } from '../config/schema.js';
import { RestlakeError } from '../core/errors.js';
import { failpoint } from '../core/failpoint.js';
import type { TemplateVars } from '../core/template.js';
import { buildUrl, type HttpClient, type HttpResponse } from '../http/client.js';
import { checkGraphqlErrors } from './graphql.js';
import {
  createPaginator,
  type PageRequest,
  type Paginator,
  type PaginatorState,
} from './paginators/index.js';
import { type RecordSelector, recordSelector } from './records.js';
import { requestTemplate } from './request.js';

/** Where one stream of pages stands; committed with each batch, read back to resume. */
export interface StreamPosition {
  /** Pages fetched so far in this stream (the next page's index). */
  pageIndex: number;
  paginator: PaginatorState;
  /** The stream has no more pages. */
  done: boolean;
}

/** One fetched page of one stream. */
export interface StreamPage {
  /** 0-based position of the page in its stream. */
  index: number;
  url: string;
  method: string;
  /** The request's query and body as sent, with credentials masked by bronze. */
  request: { query: Record<string, string>; body?: unknown };
  status: number;
  fetchedAt: Date;
  text: string;
  /** `text` as UTF-8, when the body was valid UTF-8 (see `HttpResponse`). */
  encoded: Buffer | undefined;
  bytes: number;
  records: unknown[];
  /** A child resource's parent fields, copied into each of its records (kept in bronze for rebuilds). */
  carried?: Record<string, unknown>;
  /** The stream's position after this page: resuming from it fetches the next page. */
  position: StreamPosition;
}

/** The part of a resource that says how to fetch it (a child load walks its parent's with these). */
export type FetchSpec = Pick<ResourceConfig, 'name' | 'endpoint' | 'graphql' | 'records' | 'paginator'>;

export interface PageStreamOptions {
  resume?: StreamPosition | undefined;
  signal?: AbortSignal | undefined;
  /** Window bounds and the parent record, for the request's placeholders. */
  vars?: TemplateVars;
  /**
   * Requests a predictable paginator may have in flight at once (the source's `max_concurrency`); 0 sends
   * each request only when its page is asked for (a probe that reads one page sends no second request).
   */
  lookahead?: number;
  now?: () => Date;
  /** Finds the records in a body instead of the resource's `records` path (a resource's parser). */
  select?: RecordSelector | undefined;
}

/**
 * Every page of one stream (one resource, window and parent record), fetched one after another and yielded
 * as each arrives, so memory holds one page at a time however many there are.
 */
export async function* fetchPages(
  resource: FetchSpec,
  client: HttpClient,
  options: PageStreamOptions = {},
): AsyncGenerator<StreamPage> {
  if (options.resume?.done) return;
  const template = requestTemplate(resource);
  const context = {
    defaultLocation: template.graphql ? ('variables' as const) : ('query' as const),
    templated: template.templated,
    baseUrl: client.baseUrl,
  };
  const paginator = createPaginator(resource.paginator, context, options.resume?.paginator);
  const maxPages = 'max_pages' in resource.paginator ? resource.paginator.max_pages : undefined;
  const select = options.select ?? recordSelector(resource.records);
  const now = options.now ?? (() => new Date());
  const base = options.vars ?? { values: {} };
  const render = (p: Paginator) => {
    const request = template.render({ ...base, values: { ...base.values, ...p.vars() } });
    p.apply(request);
    return request;
  };
  const ahead = new Lookahead(
    (request, signal) => client.request({ method: template.method, ...request }, signal),
    options.signal,
  );
  // The next page is requested before this one is handed on, so that fetching it overlaps with processing
  // this one. A paginator that can predict its requests (page numbers, offsets) has up to `lookahead`
  // requests in flight at once; one that must read each response (cursors, links) has one.
  const lookahead = options.lookahead === 0 ? 0 : paginator.predict ? Math.max(1, options.lookahead ?? 1) : 1;
  let index = options.resume?.pageIndex ?? 0;
  const requestAhead = () => {
    if (ahead.size === 0) ahead.push(paginator.state(), render(paginator));
    while (ahead.size < lookahead && (maxPages === undefined || index + ahead.size < maxPages)) {
      const predicted = createPaginator(resource.paginator, context, ahead.lastState).predict?.();
      if (!predicted) break;
      ahead.push(predicted, render(createPaginator(resource.paginator, context, predicted)));
    }
  };
  let previous: string | undefined;
  try {
    for (;;) {
      if (ahead.size === 0) requestAhead();
      const { request, response } = await ahead.next();
      if (template.graphql) checkGraphqlErrors(response.body, response.url);
      const records = select(response.body);
      const more =
        paginator.advance({
          url: buildUrl(client.baseUrl, request.path, request.query).toString(),
          body: response.body,
          headers: response.headers,
          recordCount: records.length,
        }) &&
        (maxPages === undefined || index + 1 < maxPages);
      if (more && records.length > 0 && response.text === previous) {
        throw new RestlakeError(
          'PAGINATION',
          `${resource.name}: page ${index} is the same as the page before it; the API seems to ignore the paginator's parameter (check paginator.param and paginator.in)`,
        );
      }
      previous = response.text;
      // A page that was not full (or said more differently than predicted) makes the requests ahead wrong.
      if (!more || !ahead.expects(paginator.state())) ahead.cancel();
      failpoint('page.fetched');
      const page = index;
      const position = { pageIndex: page + 1, paginator: paginator.state(), done: !more };
      if (more) {
        index++;
        if (lookahead > 0) requestAhead();
      }
      yield {
        index: page,
        url: response.url,
        method: template.method,
        request: { query: request.query, ...(request.body === undefined ? {} : { body: request.body }) },
        status: response.status,
        fetchedAt: now(),
        text: response.text,
        encoded: response.encoded,
        bytes: response.bytes,
        records,
        position,
      };
      if (!more) return;
    }
  } finally {
    ahead.cancel();
  }
}

type Send = (request: PageRequest, signal: AbortSignal) => Promise<HttpResponse>;

/** Requests sent ahead of the page being processed, in page order, each with the paginator state it assumed. */
class Lookahead {
  readonly #send: Send;
  readonly #signal: AbortSignal | undefined;
  #queue: Array<{
    state: string;
    request: PageRequest;
    response: Promise<HttpResponse>;
    abort: AbortController;
  }> = [];
  #last: PaginatorState = {};

  constructor(send: Send, signal: AbortSignal | undefined) {
    this.#send = send;
    this.#signal = signal;
  }

  get size(): number {
    return this.#queue.length;
  }

  /** The state the last queued request was built from. */
  get lastState(): PaginatorState {
    return this.#last;
  }

  push(state: PaginatorState, request: PageRequest): void {
    const abort = new AbortController();
    const signal = this.#signal ? AbortSignal.any([this.#signal, abort.signal]) : abort.signal;
    const response = this.#send(request, signal);
    // A request cancelled ahead is never awaited; its rejection must not surface as unhandled.
    response.catch(() => {});
    this.#queue.push({ state: JSON.stringify(state), request, response, abort });
    this.#last = state;
  }

  async next(): Promise<{ request: PageRequest; response: HttpResponse }> {
    const head = this.#queue.shift()!;
    return { request: head.request, response: await head.response };
  }

  /** Whether the next queued request was built from `state` (the paginator's actual state now). */
  expects(state: PaginatorState): boolean {
    return this.#queue.length === 0 || this.#queue[0]!.state === JSON.stringify(state);
  }

  cancel(): void {
    for (const entry of this.#queue.splice(0)) entry.abort.abort(new Error('not needed: the stream ended'));
  }
}
