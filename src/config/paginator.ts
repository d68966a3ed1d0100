import { z } from 'zod';
import { jsonPath, nonEmpty } from './primitives.js';

/** `resources[].paginator`: how a resource walks its pages. One strict object per `type`. */

/**
 * Where the page number, offset or cursor goes: a query parameter, a field of the JSON body (`param` may be a
 * dotted path such as `paging.pageNumber`), a header, or a GraphQL variable. Default: `variables` for a
 * GraphQL resource, `query` otherwise. A placeholder (`{page}`, `{offset}`, `{cursor}`) used in the endpoint
 * takes precedence: the value then goes where the placeholder is, and nowhere else.
 */
export const paramLocation = z.enum(['query', 'body', 'header', 'variables']);
export type ParamLocation = z.output<typeof paramLocation>;

const common = {
  /** Stop after this many pages (per window, per parent record), whatever the API says. */
  max_pages: z.number().int().min(1).optional(),
};
const pageSize = z.number().int().min(1).max(1_000_000);

const paginatorSingle = z.strictObject({ type: z.literal('single') });
const paginatorPageNumber = z.strictObject({
  type: z.literal('page_number'),
  ...common,
  param: nonEmpty.default('page'),
  in: paramLocation.optional(),
  start: z.number().int().min(0).default(1),
  page_size: pageSize.optional(),
  page_size_param: nonEmpty.default('per_page'),
  /** Body path of the total number of pages; without it, the first empty page ends the stream. */
  total_pages_path: jsonPath.optional(),
  /** Body path of a boolean that is false on the last page. */
  has_more_path: jsonPath.optional(),
});
const paginatorOffset = z.strictObject({
  type: z.literal('offset'),
  ...common,
  param: nonEmpty.default('offset'),
  in: paramLocation.optional(),
  limit_param: nonEmpty.default('limit'),
  limit: pageSize.default(100),
  /** Body path of the total number of records; without it, a short or empty page ends the stream. */
  total_path: jsonPath.optional(),
  /** Response header holding the total number of records, such as `X-Total-Count`. */
  total_header: nonEmpty.optional(),
  has_more_path: jsonPath.optional(),
});
const paginatorCursor = z
  .strictObject({
    type: z.literal('cursor'),
    ...common,
    /** Body path of the next cursor; a missing, null or empty value ends the stream. */
    cursor_path: jsonPath.optional(),
    /** Or the response header that holds it. */
    cursor_header: nonEmpty.optional(),
    param: nonEmpty.default('cursor'),
    in: paramLocation.optional(),
    /** Follow-up requests carry the cursor alone: the endpoint's params (or body) are sent on the first only. */
    only_cursor_on_follow_up: z.boolean().default(false),
  })
  .check((ctx) => {
    const { cursor_path: path, cursor_header: header } = ctx.value;
    if ((path === undefined) === (header === undefined)) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        path: ['cursor_path'],
        message: `${path === undefined ? 'required' : 'give cursor_path or cursor_header, not both'}: where the next cursor is (cursor_path: a body path such as meta.next_cursor; or cursor_header: a response header)`,
      });
    }
  });
const paginatorNextUrl = z.strictObject({
  type: z.literal('next_url'),
  ...common,
  /** Body path of the next page's URL (absolute, or relative to the request); missing, null or empty ends. */
  next_path: jsonPath,
});
const paginatorLinkHeader = z.strictObject({
  type: z.literal('link_header'),
  ...common,
  /** The relation to follow in the RFC 8288 `Link` header. */
  rel: nonEmpty.default('next'),
});
const paginatorRelay = z.strictObject({
  type: z.literal('relay'),
  ...common,
  /** Body path of the connection's `pageInfo` (`hasNextPage`, `endCursor`). */
  page_info_path: jsonPath,
  param: nonEmpty.default('after'),
  in: paramLocation.optional(),
  page_size: pageSize.optional(),
  page_size_param: nonEmpty.default('first'),
});

const PAGINATORS = [
  paginatorSingle,
  paginatorPageNumber,
  paginatorOffset,
  paginatorCursor,
  paginatorNextUrl,
  paginatorLinkHeader,
  paginatorRelay,
] as const;

export const paginatorSchema = z.discriminatedUnion('type', PAGINATORS);

export type PaginatorConfig = z.output<typeof paginatorSchema>;
export type PaginatorType = PaginatorConfig['type'];
