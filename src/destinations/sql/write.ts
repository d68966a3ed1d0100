import type { WriteDisposition } from '../../config/schema.js';
import type { Column } from '../../normalize/types.js';
import type { MetadataColumn } from '../types.js';
import { quoteIdent, type SqlClient, type SqlTypeMap, type SqlValue } from './client.js';
import { refSql, type TableRef } from './tables.js';

/**
 * Set-based writes into a target, shared by the SQL destinations. Most batches go straight into their table
 * (the database's bulk load, after `deleteKeys` for a merge). The rest, rows the database must deduplicate or
 * whose columns `discard_columns` may cut, are staged from a CSV file with a sequence column `_rl_seq` (a
 * DuckDB view over `read_csv`, typed as it reads; a PostgreSQL temporary table of text filled by COPY) and
 * written by `writeStaged` in a few statements: casting in SQL keeps per-value work out of JavaScript and
 * gives both databases one code path.
 */
export const SEQ_COLUMN = '_rl_seq';

export interface StagedBatch {
  /** The staging relation: `_rl_seq` plus one column (text, or already typed) per entry of `columns`. */
  staging: string;
  columns: readonly Column[];
  primaryKey: readonly string[];
  /** Constant columns (`_restlake_run_id`, ...) and their values. */
  metadata: readonly MetadataColumn[];
  /**
   * Child tables of a merged parent: the rows whose root-key columns match a merged key are deleted with the
   * parent's, so the batch's child rows replace them exactly.
   */
  children?: readonly { table: TableRef; rootKey: readonly string[] }[];
  /** No two staged rows share a primary key, so the batch needs no deduplication first. */
  uniqueKeys?: boolean;
}

function castedColumns(batch: StagedBatch, types: SqlTypeMap) {
  const quoted = [...batch.columns, ...batch.metadata].map((c) => quoteIdent(c.name));
  const values = [
    ...batch.columns.map((c) => `CAST(${quoteIdent(c.name)} AS ${types.toSql(c.type)})`),
    ...batch.metadata.map((c, i) => `CAST($${i + 1} AS ${types.toSql(c.type)})`),
  ];
  return {
    quoted,
    names: quoted.join(', '),
    values,
    params: batch.metadata.map((c) => c.value) as SqlValue[],
  };
}

/**
 * Writes a staged batch into `target` with the resource's disposition: `append` inserts every row; `merge`
 * keeps the last row of each primary key in the batch, deletes the target's rows with those keys (and their
 * child rows) and inserts the survivors (one set-based upsert, same result on both databases). Returns the
 * rows written.
 */
export async function writeStaged(
  sql: SqlClient,
  types: SqlTypeMap,
  batch: StagedBatch,
  target: TableRef,
  disposition: Exclude<WriteDisposition, 'replace'>,
  tempTable: (name: string, select: string) => string,
): Promise<number> {
  const { quoted, names, values, params } = castedColumns(batch, types);
  const table = refSql(target);
  if (disposition === 'append' || batch.primaryKey.length === 0) {
    return sql.execute(
      `INSERT INTO ${table} (${names}) SELECT ${values.join(', ')} FROM ${batch.staging} ORDER BY CAST(${SEQ_COLUMN} AS BIGINT)`,
      params,
    );
  }
  const keyTypes = new Map(batch.columns.map((c) => [c.name, c.type]));
  const cast = (relation: string, k: string) =>
    `CAST(${relation}.${quoteIdent(k)} AS ${types.toSql(keyTypes.get(k) ?? 'string')})`;
  // Rows sharing a key keep the last one (set the batch apart first); unique rows merge straight from staging.
  const deduped = `${batch.staging}_dedup`;
  if (!batch.uniqueKeys) {
    const keys = batch.primaryKey.map((k) => cast(batch.staging, k));
    await sql.execute(
      tempTable(
        deduped,
        `SELECT DISTINCT ON (${keys.join(', ')}) ${values.map((v, i) => `${v} AS ${quoted[i]}`).join(', ')}
         FROM ${batch.staging} ORDER BY ${keys.join(', ')}, CAST(${SEQ_COLUMN} AS BIGINT) DESC`,
      ),
      params,
    );
  }
  const source = batch.uniqueKeys ? batch.staging : deduped;
  const key = (k: string) => (batch.uniqueKeys ? cast(source, k) : `${source}.${quoteIdent(k)}`);
  const match = (target: string, columns: readonly string[]) =>
    batch.primaryKey.map((k, i) => `${target}.${quoteIdent(columns[i]!)} = ${key(k)}`).join(' AND ');
  await sql.execute(`DELETE FROM ${table} USING ${source} WHERE ${match(table, batch.primaryKey)}`);
  for (const child of batch.children ?? []) {
    const childTable = refSql(child.table);
    await sql.execute(`DELETE FROM ${childTable} USING ${source} WHERE ${match(childTable, child.rootKey)}`);
  }
  if (batch.uniqueKeys) {
    return sql.execute(`INSERT INTO ${table} (${names}) SELECT ${values.join(', ')} FROM ${source}`, params);
  }
  const written = await sql.execute(`INSERT INTO ${table} (${names}) SELECT ${names} FROM ${deduped}`);
  await sql.execute(`DROP TABLE ${deduped}`);
  return written;
}

/**
 * The first half of a merge whose rows then go straight into their table: deletes the rows of each table whose
 * key columns hold one of the batch's keys. The keys travel as parameters (per key column, a JSON array of the
 * values, each read as its SQL type by `elements`), so the batch's rows need no staging table.
 */
export async function deleteKeys(
  sql: SqlClient,
  elements: (param: string, type: string) => string,
  keys: readonly { values: string; type: string }[],
  tables: readonly { table: TableRef; columns: readonly string[] }[],
): Promise<void> {
  const select = `SELECT ${keys.map((k, i) => elements(`$${i + 1}`, k.type)).join(', ')}`;
  const params = keys.map((k) => k.values);
  for (const { table, columns } of tables) {
    // One key column: `= ANY(ARRAY(...))` builds the keys once and probes PostgreSQL's key index with them
    // sorted, twice as fast per batch as `IN (SELECT ...)`, which hashes them and probes in their order.
    const filter =
      columns.length === 1
        ? `${quoteIdent(columns[0]!)} = ANY(ARRAY(${select}))`
        : `(${columns.map(quoteIdent).join(', ')}) IN (${select})`;
    await sql.execute(`DELETE FROM ${refSql(table)} WHERE ${filter}`, params);
  }
}
