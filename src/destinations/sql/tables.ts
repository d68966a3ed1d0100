import { widen } from '../../normalize/cast.js';
import type { Column, ColumnType } from '../../normalize/types.js';
import { qualified, quoteIdent, type SqlClient, type SqlTypeMap } from './client.js';

export interface TableRef {
  schema: string;
  name: string;
}

export const refSql = (ref: TableRef) => qualified(ref.schema, ref.name);

/** The columns of a table as they are in the database, in order; empty when the table does not exist. */
export async function readColumns(sql: SqlClient, types: SqlTypeMap, ref: TableRef): Promise<Column[]> {
  const rows = await sql.query<{
    name: string;
    data_type: string;
    precision: number | null;
    scale: number | null;
  }>(
    `SELECT column_name AS name, data_type AS data_type, numeric_precision AS precision, numeric_scale AS scale
     FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
    [ref.schema, ref.name],
  );
  return rows.map((r) => ({
    name: r.name,
    type: types.fromSql(r.data_type, r.precision, r.scale) ?? 'string',
  }));
}

export interface SchemaChange {
  kind: 'create' | 'add' | 'widen';
  table: string;
  column?: string;
  from?: ColumnType;
  to?: ColumnType;
}

/**
 * Makes a table hold at least `columns`: creates it, adds missing columns, widens columns whose values no
 * longer fit. Never narrows or drops: a column the API stopped sending stays, filled with NULL. Returns the
 * table's columns afterwards and the changes made.
 */
export async function syncTable(
  sql: SqlClient,
  types: SqlTypeMap,
  ref: TableRef,
  existing: readonly Column[],
  columns: readonly Column[],
): Promise<{ columns: Column[]; changes: SchemaChange[] }> {
  const table = refSql(ref);
  if (existing.length === 0) {
    await sql.execute(
      `CREATE TABLE ${table} (${columns.map((c) => `${quoteIdent(c.name)} ${types.toSql(c.type)}`).join(', ')})`,
    );
    return { columns: [...columns], changes: [{ kind: 'create', table: ref.name }] };
  }
  const current = new Map(existing.map((c) => [c.name, c]));
  const changes: SchemaChange[] = [];
  for (const column of columns) {
    const have = current.get(column.name);
    if (!have) {
      await sql.execute(
        `ALTER TABLE ${table} ADD COLUMN ${quoteIdent(column.name)} ${types.toSql(column.type)}`,
      );
      current.set(column.name, column);
      changes.push({ kind: 'add', table: ref.name, column: column.name, to: column.type });
    } else if (have.type !== column.type) {
      const wider = widen(have.type, column.type);
      if (wider !== have.type) {
        await sql.execute(types.alterType(table, column.name, wider));
        current.set(column.name, { name: column.name, type: wider });
        changes.push({ kind: 'widen', table: ref.name, column: column.name, from: have.type, to: wider });
      }
    }
  }
  return { columns: [...current.values()], changes };
}
