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
