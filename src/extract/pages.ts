import type { ResourceConfig } from '../config/schema.js';
import { RestlakeError } from '../core/errors.js';
import { failpoint } from '../core/failpoint.js';
import type { TemplateVars } from '../core/template.js';
import { buildUrl, type HttpClient } from '../http/client.js';
import { checkGraphqlErrors } from './graphql.js';
import { createPaginator, type PaginatorState } from './paginators/index.js';
import { recordSelector } from './records.js';
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
  bytes: number;
  records: unknown[];
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
  now?: () => Date;
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
  const paginator = createPaginator(
    resource.paginator,
    {
      defaultLocation: template.graphql ? 'variables' : 'query',
      templated: template.templated,
      baseUrl: client.baseUrl,
    },
    options.resume?.paginator,
  );
  const maxPages = 'max_pages' in resource.paginator ? resource.paginator.max_pages : undefined;
  const select = recordSelector(resource.records);
  const now = options.now ?? (() => new Date());
  const base = options.vars ?? { values: {} };
  let index = options.resume?.pageIndex ?? 0;
  let previous: string | undefined;
  for (;;) {
    const request = template.render({ ...base, values: { ...base.values, ...paginator.vars() } });
    paginator.apply(request);
    const response = await client.request({ method: template.method, ...request }, options.signal);
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
    failpoint('page.fetched');
    yield {
      index,
      url: response.url,
      method: template.method,
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
