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
  kind: 'create' | 'add' | 'widen' | 'retype' | 'drop';
  table: string;
  column?: string;
  from?: ColumnType;
  to?: ColumnType;
}

/**
 * What it takes for a table with `existing` columns to hold `columns`: a column per new name (`add`, or
 * `create` for every column when there is no table yet), a wider type where values no longer fit (`widen`).
 * Never narrows or drops.
 */
export function diffColumns(
  table: string,
  existing: readonly Column[],
  columns: readonly Column[],
): SchemaChange[] {
  if (existing.length === 0) {
    return creationOrder(columns).map((c) => ({ kind: 'create', table, column: c.name, to: c.type }));
  }
  const current = new Map(existing.map((c) => [c.name, c.type]));
  const changes: SchemaChange[] = [];
  for (const column of columns) {
    const have = current.get(column.name);
    if (have === undefined) {
      changes.push({ kind: 'add', table, column: column.name, to: column.type });
    } else if (have !== column.type) {
      const wider = widen(have, column.type);
      if (wider !== have) changes.push({ kind: 'widen', table, column: column.name, from: have, to: wider });
    }
  }
  return changes;
}

/** Restlake's own columns (page number, window) go after the data columns when a table is created. */
function creationOrder(columns: readonly Column[]): Column[] {
  return [...columns.filter((c) => !c.metadata), ...columns.filter((c) => c.metadata)];
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
  const changes = diffColumns(ref.name, existing, columns);
  if (existing.length === 0) {
    const ordered = creationOrder(columns);
    await sql.execute(
      `CREATE TABLE ${table} (${ordered.map((c) => `${quoteIdent(c.name)} ${types.toSql(c.type)}`).join(', ')})`,
    );
    return { columns: ordered.map(({ name, type }) => ({ name, type })), changes };
  }
  const current = new Map(existing.map((c) => [c.name, c]));
  for (const change of changes) {
    const name = change.column!;
    if (change.kind === 'add') {
      await sql.execute(`ALTER TABLE ${table} ADD COLUMN ${quoteIdent(name)} ${types.toSql(change.to!)}`);
    } else {
      await sql.execute(types.alterType(table, name, change.to!));
    }
    current.set(name, { name, type: change.to! });
  }
  return { columns: [...current.values()], changes };
}
