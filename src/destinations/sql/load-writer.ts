import { createHash } from 'node:crypto';
import { RestlakeError } from '../../core/errors.js';
import { failpoint } from '../../core/failpoint.js';
import type { Column, RowSet } from '../../normalize/types.js';
import type { Batch, BatchResult, BronzePage, LoadTarget, LoadWriter } from '../types.js';
import { quoteIdent, type SqlClient, type SqlTypeMap } from './client.js';
import { readColumns, refSql, syncTable, type TableRef } from './tables.js';
import { writeStaged } from './write.js';

/**
 * What a SQL destination supplies to the shared load writer: how to bulk-load text rows into a staging table
 * (the one step that differs most between databases), and how to create a temporary table.
 */
export interface SqlDriver {
  types: SqlTypeMap;
  /** Creates `name` as a temporary table (`_rl_seq` + text columns) holding `rows`, in the open transaction (bulk: CSV, COPY). */
  stage(tx: SqlClient, name: string, columns: readonly Column[], rows: RowSet['rows']): Promise<void>;
  /** A statement creating a temporary table `name` from a SELECT. */
  tempTableAs(name: string, select: string): string;
  dropTemp(name: string): string;
}

export interface SqlLoadWriterOptions {
  sql: SqlClient;
  driver: SqlDriver;
  target: LoadTarget;
  silverSchema: string;
  bronzeSchema: string;
}

export const BRONZE_COLUMNS: readonly Column[] = [
  { name: '_restlake_run_id', type: 'string' },
  { name: '_restlake_load_key', type: 'string' },
  { name: 'page_index', type: 'integer' },
  { name: 'url', type: 'string' },
  { name: 'method', type: 'string' },
  { name: 'request', type: 'json' },
  { name: 'status', type: 'integer' },
  { name: 'fetched_at', type: 'timestamp' },
  { name: 'bytes', type: 'bigint' },
  { name: 'body', type: 'json' },
];

const bronzeRow = (p: BronzePage) => [
  p.runId,
  p.loadKey,
  p.pageIndex,
  p.url,
  p.method,
  p.request,
  p.status,
  p.fetchedAt.toISOString(),
  p.bytes,
  p.body,
];

const CHECKPOINTS = 'metadata.api_checkpoint';

/** The table a `replace` load fills before it is swapped in; stable per table so a retried load finds it. */
export function replaceStagingName(table: string): string {
  const hash = createHash('sha1').update(table).digest('hex').slice(0, 8);
  return `_rl_replace_${table.slice(0, 40)}_${hash}`;
}

/**
 * The load writer of every SQL destination: each batch's bronze pages, silver rows and checkpoint in one
 * transaction; `replace` fills a staging table and swaps it in at the end, so a failed full load never
 * leaves a half table behind.
 */
export class SqlLoadWriter implements LoadWriter {
  readonly #sql: SqlClient;
  readonly #driver: SqlDriver;
  readonly #target: LoadTarget;
  readonly #silverSchema: string;
  readonly #bronzeSchema: string;
  /** Columns of the tables touched so far, as they are in the database. */
  #known = new Map<string, Column[]>();
  /** The checkpoint as this writer last read or committed it; undefined when there was none. */
  #checkpoint: string | undefined;

  constructor(options: SqlLoadWriterOptions) {
    this.#sql = options.sql;
    this.#driver = options.driver;
    this.#target = options.target;
    this.#silverSchema = options.silverSchema;
    this.#bronzeSchema = options.bronzeSchema;
  }

  /** A fresh `replace` load must not inherit rows from an earlier, abandoned one. */
  async prepare(): Promise<void> {
    if (this.#target.disposition !== 'replace' || (await this.readCheckpoint()) !== undefined) return;
    for (const table of this.#target.tables) {
      await this.#sql.execute(`DROP TABLE IF EXISTS ${refSql(this.#silver(replaceStagingName(table)))}`);
    }
  }

  async readCheckpoint(): Promise<string | undefined> {
    const [row] = await this.#sql.query<{ checkpoint: string }>(
      `SELECT Checkpoint AS checkpoint FROM ${CHECKPOINTS} WHERE LoadKey = $1`,
      [this.#target.loadKey],
    );
    this.#checkpoint = row?.checkpoint;
    return row?.checkpoint;
  }

  async write(batch: Batch): Promise<BatchResult> {
    try {
      const result = await this.#sql.transaction(async (tx) => {
        const rows: Record<string, number> = {};
        if (this.#target.bronzeTable && batch.pages.length > 0) {
          const bronze = { schema: this.#bronzeSchema, name: this.#target.bronzeTable };
          await this.#ensure(tx, bronze, BRONZE_COLUMNS);
          await this.#driver.stage(tx, '_rl_stage', BRONZE_COLUMNS, batch.pages.map(bronzeRow));
          await writeStaged(
            tx,
            this.#driver.types,
            { staging: '_rl_stage', columns: BRONZE_COLUMNS, primaryKey: [], metadata: [] },
            bronze,
            'append',
            this.#driver.tempTableAs,
          );
          await tx.execute(this.#driver.dropTemp('_rl_stage'));
        }
        for (const rowSet of batch.rowSets) {
          rows[rowSet.table.name] = await this.#writeRows(tx, rowSet);
        }
        await this.#saveCheckpoint(tx, batch.checkpoint);
        failpoint('batch.committing');
        return { rows };
      });
      this.#checkpoint = batch.checkpoint;
      return result;
    } catch (error) {
      // The transaction rolled back any ALTER TABLE it made: forget what we believed about the tables.
      this.#known.clear();
      throw error;
    }
  }

  async #writeRows(tx: SqlClient, rowSet: RowSet): Promise<number> {
    const { table } = rowSet;
    if (rowSet.rows.length === 0) return 0;
    const replace = this.#target.disposition === 'replace';
    const ref = this.#silver(replace ? replaceStagingName(table.name) : table.name);
    const metadata = this.#target.metadata;
    await this.#ensure(tx, ref, [...table.columns, ...metadata]);
    await this.#driver.stage(tx, '_rl_stage', table.columns, rowSet.rows);
    const disposition = replace
      ? table.primaryKey.length > 0
        ? 'merge'
        : 'append'
      : this.#target.disposition;
    const written = await writeStaged(
      tx,
      this.#driver.types,
      { staging: '_rl_stage', columns: table.columns, primaryKey: table.primaryKey, metadata },
      ref,
      disposition === 'replace' ? 'append' : disposition,
      this.#driver.tempTableAs,
    );
    await tx.execute(this.#driver.dropTemp('_rl_stage'));
    return written;
  }

  async #ensure(tx: SqlClient, ref: TableRef, columns: readonly Column[]): Promise<void> {
    const key = refSql(ref);
    const existing = this.#known.get(key) ?? (await readColumns(tx, this.#driver.types, ref));
    const synced = await syncTable(tx, this.#driver.types, ref, existing, columns);
    this.#known.set(key, synced.columns);
  }

  /**
   * Saves the checkpoint only if it is still the one this writer last saw: a worker that paused past its lease
   * (and whose load another worker took over and advanced) fails here, and its batch rolls back instead of
   * being written twice.
   */
  async #saveCheckpoint(tx: SqlClient, checkpoint: string): Promise<void> {
    const saved = await tx.execute(
      `INSERT INTO ${CHECKPOINTS} (LoadKey, Checkpoint, UpdatedAt) VALUES ($1, $2, CAST($3 AS TIMESTAMPTZ))
       ON CONFLICT (LoadKey) DO UPDATE SET Checkpoint = excluded.Checkpoint, UpdatedAt = excluded.UpdatedAt
       WHERE ${CHECKPOINTS}.Checkpoint = CAST($4 AS VARCHAR)`,
      [this.#target.loadKey, checkpoint, new Date().toISOString(), this.#checkpoint ?? null],
    );
    if (saved !== 1) {
      throw new RestlakeError(
        'LEASE_HELD',
        `load ${this.#target.loadKey} was advanced by another process since this one last committed; its lease was taken over`,
      );
    }
  }

  async finish(checkpoint: string): Promise<Record<string, number>> {
    const totals = await this.#sql.transaction(async (tx) => {
      for (const table of this.#target.tables) {
        const target = refSql(this.#silver(table));
        if (this.#target.disposition === 'replace') {
          const staging = this.#silver(replaceStagingName(table));
          if ((await readColumns(tx, this.#driver.types, staging)).length > 0) {
            await tx.execute(`DROP TABLE IF EXISTS ${target}`);
            failpoint('replace.swapping');
            await tx.execute(`ALTER TABLE ${refSql(staging)} RENAME TO ${quoteIdent(table)}`);
          } else if ((await readColumns(tx, this.#driver.types, this.#silver(table))).length > 0) {
            // The API returned no records: replacing with nothing leaves the table empty.
            await tx.execute(`DELETE FROM ${target}`);
          }
        }
      }
      await this.#saveCheckpoint(tx, checkpoint);
      return this.#count(tx);
    });
    this.#checkpoint = checkpoint;
    return totals;
  }

  totals(): Promise<Record<string, number>> {
    return this.#count(this.#sql);
  }

  async #count(sql: SqlClient): Promise<Record<string, number>> {
    const totals: Record<string, number> = {};
    for (const table of this.#target.tables) {
      const exists = (await readColumns(sql, this.#driver.types, this.#silver(table))).length > 0;
      const [count] = exists
        ? await sql.query<{ n: number }>(`SELECT count(*) AS n FROM ${refSql(this.#silver(table))}`)
        : [];
      totals[table] = Number(count?.n ?? 0);
    }
    return totals;
  }

  #silver(name: string): TableRef {
    return { schema: this.#silverSchema, name };
  }

  async close(): Promise<void> {}
}
