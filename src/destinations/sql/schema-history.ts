import type { Column } from '../../normalize/types.js';
import type { LoadTarget } from '../types.js';
import type { SqlClient } from './client.js';
import type { SchemaChange } from './tables.js';

const HISTORY = 'metadata.api_schema_history';

/**
 * Appends schema changes to `metadata.api_schema_history`, in the transaction that made them: one row per
 * column created, added, widened or dropped, with the record key path the column is read from (the mapping
 * from the API's names to the table's).
 */
export async function recordSchemaChanges(
  tx: SqlClient,
  origin: LoadTarget['origin'],
  changes: readonly SchemaChange[],
  columns: readonly Column[],
  at: Date,
): Promise<void> {
  if (changes.length === 0) return;
  const sources = new Map(columns.map((c) => [c.name, c.source ?? null]));
  const params: (string | null)[] = [];
  const values = changes.map((change) => {
    const base = params.length;
    params.push(
      origin.configId,
      origin.resource,
      change.table,
      change.column ?? null,
      change.kind,
      change.from ?? null,
      change.to ?? null,
      change.column ? (sources.get(change.column) ?? null) : null,
      origin.runId,
      at.toISOString(),
    );
    const p = (i: number) => `$${base + i}`;
    return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, ${p(8)}, ${p(9)}, CAST(${p(10)} AS TIMESTAMPTZ))`;
  });
  await tx.execute(
    `INSERT INTO ${HISTORY} (ConfigId, ResourceName, TableName, ColumnName, ChangeKind, FromType, ToType, SourcePath, RunId, ChangedAt)
     VALUES ${values.join(', ')}`,
    params,
  );
}

/** Table → record key path → column: the names earlier loads gave, so later loads keep them. */
export type ColumnSources = Map<string, Map<string, string>>;

/**
 * The record key path of every column a resource's loads have created, from the schema history. Naming is
 * first come, first served (`userId` → `user_id`, then `user_id` → `user_id_2`); reading the names back keeps a
 * later load that meets the keys in another order from swapping them.
 */
export async function readColumnSources(
  sql: SqlClient,
  configId: string,
  resource: string,
): Promise<ColumnSources> {
  const rows = await sql.query<{ t: string; c: string; s: string }>(
    `SELECT TableName AS t, ColumnName AS c, SourcePath AS s FROM ${HISTORY}
     WHERE ConfigId = $1 AND ResourceName = $2 AND SourcePath IS NOT NULL AND ChangeKind IN ('create', 'add')
     ORDER BY ChangeId`,
    [configId, resource],
  );
  const sources: ColumnSources = new Map();
  for (const { t, c, s } of rows) {
    const table = sources.get(t) ?? new Map<string, string>();
    sources.set(t, table);
    table.set(s, c);
  }
  return sources;
}
