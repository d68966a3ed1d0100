import { z } from 'zod';
import { columnSchema } from './columns.js';
import { identifier, nonEmpty } from './primitives.js';

/**
 * The keys of `resources[]` that say how records become rows: declared columns, cast errors, schema contracts,
 * child tables, metadata columns and custom parsers. Spread into the resource schema.
 */

/** A dotted key path inside a record (`addresses`, `meta.addresses`): no indexes, no `[]`. */
const keyPath = nonEmpty.regex(
  /^[^.[\]]+(\.[^.[\]]+)*$/,
  'expected a dotted key path inside the record, such as addresses or meta.addresses',
);

export interface NestedTableInput {
  path: string;
  table: string;
  parent_key?: string[] | undefined;
  schema?: Record<string, z.input<typeof columnSchema>> | undefined;
  nested?: NestedTableInput[] | undefined;
}

export interface NestedTableConfig {
  path: string;
  table: string;
  parent_key?: string[] | undefined;
  schema: Record<string, z.output<typeof columnSchema>>;
  nested: NestedTableConfig[];
}

/** `nested[]`: an array inside each record unnested into a child table, itself possibly with children. */
export const nestedTableSchema: z.ZodType<NestedTableConfig, NestedTableInput> = z.lazy(() =>
  z.strictObject({
    /** Where the array is in the record (relative to the parent row's record). */
    path: keyPath,
    table: identifier('table name'),
    /** Columns of the parent row copied onto each child row as `_parent_<column>`; the parent's key by default. */
    parent_key: z.array(nonEmpty).min(1).optional(),
    schema: z.record(z.string(), columnSchema).default({}),
    nested: z.array(nestedTableSchema).default([]),
  }),
);

const columnName = z.union([identifier('column name'), z.literal(false)]);

/** Names of the columns restlake adds to every row (`false` leaves one out). */
export const metadataColumnsSchema = z.strictObject({
  run_id: columnName.default('_restlake_run_id'),
  loaded_at: columnName.default('_restlake_loaded_at'),
  source: columnName.default('_restlake_source'),
  page: columnName.default('_restlake_page'),
  /** Only on loads that have a window (incremental resources). */
  window_start: columnName.default('_restlake_window_start'),
  window_end: columnName.default('_restlake_window_end'),
});

export type MetadataColumnsConfig = z.output<typeof metadataColumnsSchema>;

/** `./parsers/problems.ts#parse`: a module (relative to the pipeline file) and the export to call. */
const parserRef = nonEmpty.regex(
  /^[^#]+(#[A-Za-z_$][\w$]*)?$/,
  'expected a module path and an optional export, such as ./parsers/problems.ts#parse',
);

export const normalizeKeys = {
  /** Declared columns; columns not declared are inferred from the data. */
  schema: z.record(z.string(), columnSchema).default({}),
  /** A value that cannot be cast to its declared type: set NULL, fail the load, or move the record aside. */
  on_cast_error: z.enum(['null', 'fail', 'quarantine']).default('fail'),
  /** What a new or changed column does to the table: alter it, fail the load, or drop the column. */
  schema_contract: z.enum(['evolve', 'freeze', 'discard_columns']).default('evolve'),
  /** Arrays unnested into child tables. */
  nested: z.array(nestedTableSchema).default([]),
  /** Levels of nested objects flattened into `parent__child` columns; deeper objects stay JSON. */
  max_nesting: z.number().int().min(0).max(64).optional(),
  metadata_columns: metadataColumnsSchema.default(metadataColumnsSchema.parse({})),
  /** A module that turns each response body into records, instead of `records`. */
  parser: parserRef.optional(),
};

export type OnCastError = z.output<typeof normalizeKeys.on_cast_error>;
export type SchemaContract = z.output<typeof normalizeKeys.schema_contract>;

interface NormalizeKeysOf {
  table?: string | undefined;
  name: string;
  records?: string | undefined;
  parser?: string | undefined;
  nested: NestedTableConfig[];
  schema: Record<string, unknown>;
}

/** Every silver table a resource writes, with the key path that names it: its own, then its child tables'. */
export function tablesOfResource(resource: NormalizeKeysOf): Array<{ table: string; path: PropertyKey[] }> {
  const found: Array<{ table: string; path: PropertyKey[] }> = [
    { table: resource.table ?? resource.name, path: [resource.table ? 'table' : 'name'] },
  ];
  const walk = (nested: NestedTableConfig[], path: PropertyKey[]) =>
    nested.forEach((child, i) => {
      found.push({ table: child.table, path: [...path, i, 'table'] });
      walk(child.nested, [...path, i, 'nested']);
    });
  walk(resource.nested, ['nested']);
  return found;
}

/** Problems between normalize keys of one resource, with the key path (relative to the resource) to report. */
export function normalizeIssues(resource: NormalizeKeysOf): Array<{ path: PropertyKey[]; message: string }> {
  const issues: Array<{ path: PropertyKey[]; message: string }> = [];
  if (resource.parser !== undefined && resource.records !== undefined) {
    issues.push({
      path: ['parser'],
      message: 'a parser finds the records itself: remove `records` or `parser`',
    });
  }
  return issues;
}
