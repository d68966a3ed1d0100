import { z } from 'zod';
import { normalizeKeys } from './normalize.js';
import { paginatorSchema } from './paginator.js';
import { duration, identifier, jsonPath, nonEmpty, scalar } from './primitives.js';

/** `resources[]`: one endpoint and the table it loads. */

export const resourceSchema = z.strictObject({
  name: identifier('resource name'),
  /** Silver table name; the resource name by default. */
  table: identifier('table name').optional(),
  endpoint: z.strictObject({
    path: z.string().default(''),
    method: z.enum(['GET', 'POST']).default('GET'),
    params: z.record(z.string(), scalar).default({}),
    headers: z.record(z.string(), z.string()).default({}),
    /** JSON body for POST requests. */
    body: z.unknown().optional(),
  }),
  /**
   * Where the records are in a response body: `results`, `data.items[]`, `results[0].items`. Without it, a
   * top-level array is the records, and an object is one record.
   */
  records: jsonPath.optional(),
  paginator: paginatorSchema.default({ type: 'single' }),
  primary_key: z.array(nonEmpty).min(1).optional(),
  write: z.enum(['replace', 'append', 'merge']).default('replace'),
  /**
   * Load only what changed: the first load is a FULL_LOAD from `start`; each later one is INCREMENTAL from the
   * high-water mark (the largest `cursor_field` value loaded) minus `lag`. The load's range is available to
   * the request as `{window.start}` and `{window.end}`.
   */
  incremental: z
    .strictObject({
      cursor_field: jsonPath,
      start: z.iso.datetime({
        offset: true,
        error: 'expected an ISO 8601 timestamp such as 2024-01-01T00:00:00Z',
      }),
      lag: duration.default(0),
    })
    .optional(),
  /** Normalize: declared columns, cast errors, schema contract, child tables, metadata columns, parser. */
  ...normalizeKeys,
});

export type ResourceConfig = z.output<typeof resourceSchema>;
export type WriteDisposition = ResourceConfig['write'];
