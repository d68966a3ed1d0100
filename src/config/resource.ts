import { z } from 'zod';
import { normalizeKeys } from './normalize.js';
import { paginatorSchema } from './paginator.js';
import { duration, identifier, isoTimestamp, jsonPath, nonEmpty, scalar } from './primitives.js';
import { windowSchema } from './window.js';

/** `resources[]`: one endpoint and the table it loads. */

export const resourceSchema = z.strictObject({
  name: identifier('resource name'),
  /** Silver table name; the resource name by default. */
  table: identifier('table name').optional(),

  // --- extraction: what to request, page by page, window by window ---
  endpoint: z.strictObject({
    path: z.string().default(''),
    method: z.enum(['GET', 'POST']).default('GET'),
    params: z.record(z.string(), scalar).default({}),
    headers: z.record(z.string(), z.string()).default({}),
    /** JSON body for POST requests. */
    body: z.unknown().optional(),
  }),
  /**
   * A GraphQL query: POSTed to the endpoint's path as `{ query, variables }`. The query is sent as written;
   * the variables may use placeholders, and paginators set theirs there.
   */
  graphql: z
    .strictObject({
      query: nonEmpty,
      variables: z.record(z.string(), z.unknown()).default({}),
    })
    .optional(),
  /**
   * Where the records are in a response body: `results`, `data.items[]`, `results[0].items`. Without it, a
   * top-level array is the records, and an object is one record.
   */
  records: jsonPath.optional(),
  paginator: paginatorSchema.default({ type: 'single' }),
  /** Split the load's time range into windows, each requested with its own `{window.start}` / `{window.end}`. */
  window: windowSchema.optional(),
  /**
   * A child resource: one request stream per record of the named resource (whose endpoint, paginator and
   * records are walked for it), with `{parent.<field>}` in the request.
   */
  parent: identifier('parent resource name').optional(),
  /** Parent fields copied into every child row as `_parent_<field>` (dots become `__`). */
  parent_fields: z.array(jsonPath).default([]),
  /**
   * Load only what changed: the first load is a FULL_LOAD from `start`; each later one is INCREMENTAL from the
   * high-water mark (the largest `cursor_field` value loaded) minus `lag`, up to now (or `end`). The load's
   * range is available to the request as `{window.start}` and `{window.end}`.
   */
  incremental: z
    .strictObject({
      cursor_field: jsonPath,
      start: isoTimestamp,
      lag: duration.default(0),
      /** No load reaches past this instant (a backfill of a closed period). */
      end: isoTimestamp.optional(),
    })
    .optional(),

  // --- loading ---
  primary_key: z.array(nonEmpty).min(1).optional(),
  write: z.enum(['replace', 'append', 'merge']).default('replace'),

  // --- normalize: declared columns, cast errors, schema contract, child tables, metadata columns, parser ---
  ...normalizeKeys,
});

export type ResourceConfig = z.output<typeof resourceSchema>;
export type WriteDisposition = ResourceConfig['write'];
