import { z } from 'zod';
import { jsonPath, nonEmpty } from './primitives.js';

/** `resources[].paginator`: how a resource walks its pages. One strict object per `type`. */

const paginatorSingle = z.strictObject({ type: z.literal('single') });
const paginatorPageNumber = z.strictObject({
  type: z.literal('page_number'),
  param: nonEmpty.default('page'),
  start: z.number().int().min(0).default(1),
  page_size: z.number().int().min(1).max(1_000_000).optional(),
  page_size_param: nonEmpty.default('per_page'),
  /** Body path of the total number of pages; without it, the first empty page ends the stream. */
  total_pages_path: jsonPath.optional(),
});
const paginatorOffset = z.strictObject({
  type: z.literal('offset'),
  param: nonEmpty.default('offset'),
  limit_param: nonEmpty.default('limit'),
  limit: z.number().int().min(1).max(1_000_000).default(100),
  /** Body path of the total number of records; without it, a short or empty page ends the stream. */
  total_path: jsonPath.optional(),
});
const paginatorCursor = z.strictObject({
  type: z.literal('cursor'),
  /** Body path of the next cursor; a missing, null or empty value ends the stream. */
  cursor_path: jsonPath,
  param: nonEmpty.default('cursor'),
});

export const paginatorSchema = z.discriminatedUnion('type', [
  paginatorSingle,
  paginatorPageNumber,
  paginatorOffset,
  paginatorCursor,
]);

export type PaginatorConfig = z.output<typeof paginatorSchema>;
