import { Cron } from 'croner';
import { z } from 'zod';
import { parseDuration } from '../core/duration.js';
import { IDENTIFIER } from '../core/identifiers.js';
import { jsonPathProblem } from '../core/json-path.js';
import { unknownPlaceholders } from '../core/template.js';

/**
 * The pipeline file format. Every object is strict: an unknown key is an error (a typo such as `primay_key`
 * must not silently do nothing). Defaults live here so that the rest of the code sees complete values.
 */

const identifier = (what: string) =>
  z
    .string()
    .regex(
      IDENTIFIER,
      `${what} must start with a letter or _ and contain only letters, digits and _ (max 63)`,
    );

/** `30s`, `5m`, `1h`, or a number of milliseconds. */
export const duration = z.union([z.number().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a duration such as 500ms, 30s, 5m, 1h or 7d, got "${value}"`,
    });
    return z.NEVER;
  }
  return ms;
});

const nonEmpty = z.string().min(1, 'must not be empty');
/** A body path such as `data.items[]` or `meta.next_cursor`. */
const jsonPath = nonEmpty.check((ctx) => {
  const problem = jsonPathProblem(ctx.value);
  if (problem) ctx.issues.push({ code: 'custom', input: ctx.value, message: problem });
});
const scalar = z.union([z.string(), z.number(), z.boolean()]);

// --- source: base URL, auth, HTTP behaviour ---------------------------------------------------------------

const authNone = z.strictObject({ type: z.literal('none') });
const authBearer = z.strictObject({ type: z.literal('bearer'), token: nonEmpty });
const authApiKey = z.strictObject({
  type: z.literal('api_key'),
  key: nonEmpty,
  /** Header or query parameter name. */
  name: nonEmpty.default('X-API-Key'),
  in: z.enum(['header', 'query']).default('header'),
});
const authBasic = z.strictObject({ type: z.literal('basic'), username: nonEmpty, password: z.string() });

export const authSchema = z.discriminatedUnion('type', [authNone, authBearer, authApiKey, authBasic]);

export const retrySchema = z.strictObject({
  /** Attempts per request, the first included. */
  max_attempts: z.number().int().min(1).max(100).default(5),
  initial_delay: duration.default(500),
  max_delay: duration.default(30_000),
});

export const sourceSchema = z.strictObject({
  base_url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL such as https://api.example.com' }),
  auth: authSchema.default({ type: 'none' }),
  headers: z.record(z.string(), z.string()).default({}),
  /** Per-request timeout: connecting, waiting for headers, and reading the body each get this long. */
  timeout: duration.default(30_000),
  retry: retrySchema.default({ max_attempts: 5, initial_delay: 500, max_delay: 30_000 }),
  /** Requests of one source in flight at once. */
  max_concurrency: z.number().int().min(1).max(64).default(4),
});

// --- resources: what to fetch and where it lands ----------------------------------------------------------

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

const DECIMAL = /^decimal\((\d{1,2}),\s*(\d{1,2})\)$/;
const SCALAR_TYPES = [
  'string',
  'integer',
  'bigint',
  'double',
  'boolean',
  'timestamp',
  'date',
  'json',
] as const;

export const columnType = z.string().check((ctx) => {
  const value = ctx.value;
  if ((SCALAR_TYPES as readonly string[]).includes(value)) return;
  const decimal = DECIMAL.exec(value);
  if (decimal && Number(decimal[1]) <= 38 && Number(decimal[2]) <= Number(decimal[1])) return;
  ctx.issues.push({
    code: 'custom',
    input: value,
    message: `expected one of ${SCALAR_TYPES.join(', ')} or decimal(p,s) with s <= p <= 38, got "${value}"`,
  });
});

export const columnSchema = z.union([
  columnType,
  z.strictObject({
    type: columnType,
    /** Dotted path in the record, when the column is named differently (`from: meta.created`). */
    from: jsonPath.optional(),
  }),
]);

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
  /** Declared columns; columns not declared are inferred from the data. */
  schema: z.record(z.string(), columnSchema).default({}),
});

// --- destination and schedule ---------------------------------------------------------------------------

export const duckdbDestination = z.strictObject({
  type: z.literal('duckdb'),
  path: nonEmpty.default('./restlake.duckdb'),
  /** Schema of the silver tables. */
  schema: identifier('schema').default('main'),
  /** Schema of the bronze (raw page) tables. */
  bronze_schema: identifier('schema').default('bronze'),
  /** Keep every raw page in bronze; turn off only when storage matters more than replay. */
  bronze: z.boolean().default(true),
});

export const destinationSchema = z.discriminatedUnion('type', [duckdbDestination]);

export const pipelineSchema = z
  .strictObject({
    id: identifier('id'),
    /** APIName in the control table; the id by default. */
    api: nonEmpty.optional(),
    description: z.string().optional(),
    source: sourceSchema,
    resources: z.array(resourceSchema).min(1, 'at least one resource is required'),
    destination: destinationSchema.default({
      type: 'duckdb',
      path: './restlake.duckdb',
      schema: 'main',
      bronze_schema: 'bronze',
      bronze: true,
    }),
    schedule: z
      .strictObject({
        /** Five- or six-field cron expression, evaluated in UTC: `0 2 * * *` is every day at 02:00 UTC. */
        cron: nonEmpty.check((ctx) => {
          try {
            new Cron(ctx.value, { paused: true, timezone: 'UTC' });
          } catch (error) {
            ctx.issues.push({
              code: 'custom',
              input: ctx.value,
              message: `invalid cron expression: ${(error as Error).message}`,
            });
          }
        }),
      })
      .optional(),
    /** Rows (and raw pages) buffered before one commit; larger batches load faster, smaller ones use less memory. */
    batch_size: z.number().int().min(1).max(10_000_000).default(100_000),
  })
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.resources.forEach((resource, index) => {
      for (const [where, text] of templatedStrings(resource.endpoint)) {
        for (const name of unknownPlaceholders(text)) {
          ctx.addIssue({
            code: 'custom',
            path: ['resources', index, 'endpoint', ...where],
            message: `unknown placeholder {${name}}; available: {window.start}, {window.end}`,
          });
        }
      }
      const table = resource.table ?? resource.name;
      const first = seen.get(table);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['resources', index, resource.table ? 'table' : 'name'],
          message: `table "${table}" is already written by resources[${first}]`,
        });
      } else seen.set(table, index);
      if (resource.write === 'merge' && !resource.primary_key) {
        ctx.addIssue({
          code: 'custom',
          path: ['resources', index, 'primary_key'],
          message: 'write: merge needs a primary_key (the columns that identify a record)',
        });
      }
    });
  });

/** Every string of an endpoint that is templated, with its path inside the endpoint. */
function templatedStrings(endpoint: ResourceConfig['endpoint']): Array<[PropertyKey[], string]> {
  const found: Array<[PropertyKey[], string]> = [[['path'], endpoint.path]];
  for (const [key, value] of Object.entries(endpoint.params)) found.push([['params', key], String(value)]);
  for (const [key, value] of Object.entries(endpoint.headers)) found.push([['headers', key], value]);
  const walk = (value: unknown, path: PropertyKey[]): void => {
    if (typeof value === 'string') found.push([path, value]);
    else if (value && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(endpoint.body, ['body']);
  return found;
}

export type PipelineConfig = z.output<typeof pipelineSchema>;
export type PipelineInput = z.input<typeof pipelineSchema>;
export type SourceConfig = PipelineConfig['source'];
export type AuthConfig = z.output<typeof authSchema>;
export type RetryConfig = z.output<typeof retrySchema>;
export type ResourceConfig = PipelineConfig['resources'][number];
export type PaginatorConfig = z.output<typeof paginatorSchema>;
export type ColumnConfig = z.output<typeof columnSchema>;
export type DestinationConfig = z.output<typeof destinationSchema>;
export type WriteDisposition = ResourceConfig['write'];
