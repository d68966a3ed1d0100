import { RestlakeError } from '../../core/errors.js';
import { failpoint } from '../../core/failpoint.js';
import { shortHash, toSnakeCase } from '../../core/identifiers.js';
import type { CellValue, Column, TableSchema } from '../../normalize/types.js';
import type { Batch, BatchResult, BronzePage, LoadTarget, LoadWriter, PreparedBatch } from '../types.js';
import { quoteIdent, type SqlClient, type SqlTypeMap } from './client.js';
import { type CsvValue, writeCsvFile } from './csv.js';
import type { RowFile } from './row-file.js';
import { recordSchemaChanges } from './schema-history.js';
import { diffColumns, readColumns, refSql, type SchemaChange, syncTable, type TableRef } from './tables.js';
import { deleteKeys, writeStaged } from './write.js';

/**
 * What a SQL destination supplies to the shared load writer: how to bulk-load text rows into a staging table
 * (the one step that differs most between databases), and how to create a temporary table.
 */
export interface SqlDriver {
  types: SqlTypeMap;
  /**
   * Makes the file's rows readable as `name` (`_rl_seq` + `columns`) in the open transaction, as text or
   * already in the columns' types (the statements reading it cast them either way).
   */
  stage(tx: SqlClient, name: string, columns: readonly Column[], file: RowFile): Promise<void>;
  /**
   * Appends a file's rows (written without `_rl_seq`) to `table`, whose columns are `columns` (with their types
   * in the table), in one bulk load: the database converts each text to its column's type on the way in (a file
   * in its own format comes typed), with no staging table between.
   */
  append(tx: SqlClient, table: TableRef, columns: readonly Column[], file: RowFile): Promise<void>;
  /**
   * An expression giving one row per element of the JSON array in parameter `param` (text), cast to `type`:
   * how a batch's keys reach a DELETE without staging its rows.
   */
  jsonElements(param: string, type: string): string;
  /** A statement creating a temporary table `name` from a SELECT. */
  tempTableAs(name: string, select: string): string;
  /** A statement removing what `stage` made. */
  unstage(name: string): string;
  /**
   * A statement giving a merged table an index on its key, and fresh statistics if the table outgrew them,
   * where the database needs them to find a batch's keys without reading the whole table (PostgreSQL; DuckDB's
   * hash join scans its columns fast enough).
   */
  keyIndex?(table: string, columns: readonly string[]): string;
  /** A statement run when a bronze table is created, making its column of raw pages cheaper to write. */
  rawPages?(table: string, column: string): string;
  /**
   * Writes bronze rows to a file in a format of the database's own that it loads faster than CSV (`append`
   * loads it); CSV otherwise.
   */
  writePages?(rows: readonly (readonly CsvValue[])[], columns: readonly Column[]): Promise<RowFile>;
  /** The most columns a table may have, where the database has a limit a load can reach (PostgreSQL's 1,600). */
  maxColumns?: number;
}

export interface SqlLoadWriterOptions {
  sql: SqlClient;
  driver: SqlDriver;
  target: LoadTarget;
  /** The destination's schemas: silver tables in `schema`, raw pages in `bronze_schema`. */
  config: { schema: string; bronze_schema: string };
}

/**
 * Bronze keeps the raw text as it came: stored as text, not a JSON type, because having the database parse
 * every page again only to validate it costs a large share of a load (the JSON functions read text as well).
 */
export const BRONZE_COLUMNS: readonly Column[] = [
  { name: '_restlake_run_id', type: 'string' },
  { name: '_restlake_load_key', type: 'string' },
  { name: 'page_index', type: 'integer' },
  { name: 'url', type: 'string' },
  { name: 'method', type: 'string' },
  { name: 'request', type: 'string' },
  { name: 'status', type: 'integer' },
  { name: 'fetched_at', type: 'timestamp' },
  { name: 'bytes', type: 'bigint' },
  { name: 'body', type: 'string' },
  // What a rebuild needs besides the body: the page's window and a child resource's parent fields.
  { name: 'window_start', type: 'timestamp' },
  { name: 'window_end', type: 'timestamp' },
  { name: 'parent_fields', type: 'string' },
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
  p.windowStart,
  p.windowEnd,
  p.parentFields,
];

const CHECKPOINTS = 'metadata.api_checkpoint';

/** Rows a load writes into a merged table before its statistics are taken again (then at every doubling). */
const REINDEX_MIN_ROWS = 10_000;

/** The table a `replace` load fills before it is swapped in; stable per table so a retried load finds it. */
export function replaceStagingName(table: string): string {
  return `_rl_replace_${table.slice(0, 40)}_${shortHash(table)}`;
}

/** One table's rows of a prepared batch: encoded into a CSV file, the rows themselves let go. */
interface PreparedRows {
  table: TableSchema;
  file: RowFile;
  /**
   * The file holds exactly the columns written (the table's, then the metadata columns), in rows that need no
   * deduplication: it is loaded straight into the table. Otherwise it is staged and written by SQL.
   */
  direct: boolean;
  /** A direct merge's keys: per primary-key column, the batch's values as a JSON array. */
  keys?: string[];
  uniqueKeys: boolean;
}

/** A batch encoded for the bulk path while the previous one commits: its commit only loads files. */
class SqlPreparedBatch implements PreparedBatch {
  readonly checkpoint: string;
  readonly bronze: RowFile | undefined;
  readonly tables: readonly PreparedRows[];

  constructor(checkpoint: string, bronze: RowFile | undefined, tables: readonly PreparedRows[]) {
    this.checkpoint = checkpoint;
    this.bronze = bronze;
    this.tables = tables;
  }

  discard(): void {
    this.bronze?.delete();
    for (const { file } of this.tables) file.delete();
  }
}

/** How one batch's rows reach one table, decided before anything of the batch is written. */
interface TablePlan {
  rows: PreparedRows;
  /** Where the rows go: the table, or its staging table in a `replace` load. */
  ref: TableRef;
  staged: boolean;
  /** The columns written (under `discard_columns`, without the new ones). */
  columns: readonly Column[];
  /** Columns the table must have besides the batch's (a frozen or discarding replace keeps the live ones). */
  keep: readonly Column[];
}

/**
 * The load writer of every SQL destination: each batch's bronze pages, silver rows (a resource's table, its
 * child tables, its rejected records), schema changes and checkpoint in one transaction; `replace` fills
 * staging tables and swaps them in at the end, so a failed full load never leaves a half table behind.
 */
export class SqlLoadWriter implements LoadWriter {
  readonly #sql: SqlClient;
  readonly #driver: SqlDriver;
  readonly #target: LoadTarget;
  readonly #silverSchema: string;
  readonly #bronzeSchema: string;
  /** Columns of the tables touched so far, as they are in the database. */
  #known = new Map<string, Column[]>();
  /** Record key paths of the columns written by this load, for the history a `replace` records at the swap. */
  readonly #sources = new Map<string, Column[]>();
  /** The checkpoint as this writer last read or committed it; undefined when there was none. */
  #checkpoint: string | undefined;
  /** Batches prepared and not yet written: their files are removed if the load stops before. */
  readonly #pending = new Set<SqlPreparedBatch>();
  /** Merged tables: rows this writer had written into each when it last made sure of its key index. */
  readonly #indexed = new Map<string, number>();
  /** Rows this writer wrote into each merged table. */
  readonly #merged = new Map<string, number>();

  private constructor(options: SqlLoadWriterOptions) {
    this.#sql = options.sql;
    this.#driver = options.driver;
    this.#target = options.target;
    this.#silverSchema = options.config.schema;
    this.#bronzeSchema = options.config.bronze_schema;
  }

  /** A writer for one load; a fresh `replace` load first drops what an earlier, abandoned one staged. */
  static async open(options: SqlLoadWriterOptions): Promise<SqlLoadWriter> {
    const writer = new SqlLoadWriter(options);
    await writer.#clearAbandoned();
    return writer;
  }

  /** Whether the load fills staging tables and swaps them in at the end. */
  get #swaps(): boolean {
    return this.#target.disposition === 'replace' || this.#target.swap === true;
  }

  async #clearAbandoned(): Promise<void> {
    if (!this.#swaps || (await this.readCheckpoint()) !== undefined) return;
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

  async prepare(batch: Batch): Promise<PreparedBatch> {
    const files: RowFile[] = [];
    const kept = async (writing: Promise<RowFile>) => {
      const file = await writing;
      files.push(file);
      return file;
    };
    try {
      const pages = this.#target.bronzeTable ? batch.pages.map(bronzeRow) : [];
      const bronze =
        pages.length > 0
          ? await kept(
              this.#driver.writePages?.(pages, BRONZE_COLUMNS) ??
                writeCsvFile(pages, BRONZE_COLUMNS.length, { sequence: false }),
            )
          : undefined;
      const tables: PreparedRows[] = [];
      const constants = this.#target.metadata.map((m) => m.value);
      for (const { table, rows, packed = [], uniqueKeys = false } of batch.rowSets) {
        if (rows.length === 0 && packed.length === 0) continue;
        const merge = this.#merges(table);
        // Rows go straight into their table (no staging table, no INSERT ... SELECT) unless the database must
        // deduplicate them, or `discard_columns` may leave some of their columns out.
        const direct =
          (!merge || uniqueKeys) &&
          (this.#target.contract !== 'discard_columns' || table.appendOnly === true);
        const width = table.columns.length;
        const file = await kept(
          writeCsvFile(rows, width, direct ? { sequence: false, constants } : {}, packed),
        );
        const keys =
          direct && merge
            ? table.primaryKey.map((k, i) => {
                const index = table.columns.findIndex((c) => c.name === k);
                const values = packed.flatMap((p) => p.keys[i] as CellValue[]);
                for (const row of rows) values.push(row[index] ?? null);
                return JSON.stringify(values);
              })
            : undefined;
        tables.push({ table, file, direct, ...(keys ? { keys } : {}), uniqueKeys });
      }
      const prepared = new SqlPreparedBatch(batch.checkpoint, bronze, tables);
      this.#pending.add(prepared);
      return prepared;
    } catch (error) {
      for (const file of files) file.delete();
      throw error;
    }
  }

  async write(batch: Batch | PreparedBatch): Promise<BatchResult> {
    const prepared =
      batch instanceof SqlPreparedBatch ? batch : ((await this.prepare(batch as Batch)) as SqlPreparedBatch);
    try {
      const result = await this.#sql.transaction(async (tx) => {
        const discarded: Record<string, number> = {};
        const plans: TablePlan[] = [];
        const violations: string[] = [];
        for (const rows of prepared.tables) plans.push(await this.#plan(tx, rows, violations, discarded));
        if (violations.length > 0) {
          throw new RestlakeError(
            'SCHEMA_CONTRACT',
            `schema_contract is freeze, but the data changes the tables: ${violations.join('; ')}. Declare the change in the pipeline file's schema and set schema_contract: evolve for one load, or fix the API`,
            { context: { violations } },
          );
        }
        if (prepared.bronze) await this.#writeBronze(tx, prepared.bronze);
        const rows: Record<string, number> = {};
        for (const plan of plans)
          rows[plan.rows.table.name] = await this.#writeRows(tx, plan, prepared.tables);
        await this.#saveCheckpoint(tx, prepared.checkpoint);
        failpoint('batch.committing');
        return { rows, discarded };
      });
      this.#checkpoint = prepared.checkpoint;
      return result;
    } catch (error) {
      // The transaction rolled back any ALTER TABLE (or index) it made: forget what we believed of the tables.
      this.#known.clear();
      this.#indexed.clear();
      this.#merged.clear();
      throw error;
    } finally {
      this.#pending.delete(prepared);
      prepared.discard();
    }
  }

  async #writeBronze(tx: SqlClient, file: RowFile): Promise<void> {
    const bronze = { schema: this.#bronzeSchema, name: this.#target.bronzeTable! };
    const { columns, changes } = await this.#ensure(tx, bronze, BRONZE_COLUMNS);
    if (this.#driver.rawPages && changes.some((c) => c.kind === 'create'))
      await tx.execute(this.#driver.rawPages(refSql(bronze), 'body'));
    // As they are in the table, which a file in the database's own format must match.
    const types = new Map(columns.map((c) => [c.name, c.type]));
    const actual = BRONZE_COLUMNS.map((c) => ({ ...c, type: types.get(c.name) ?? c.type }));
    await this.#driver.append(tx, bronze, actual, file);
  }

  /**
   * Where a table's rows go and which columns are written, checked against the schema contract: the table
   * as it is (the live one, even when a `replace` fills a staging table) is what `freeze` protects and what
   * `discard_columns` keeps to. A table that does not exist yet is created as the data says.
   */
  async #plan(
    tx: SqlClient,
    rows: PreparedRows,
    violations: string[],
    discarded: Record<string, number>,
  ): Promise<TablePlan> {
    const { table } = rows;
    const staged = this.#swaps && !table.appendOnly;
    const live = this.#silver(table.name);
    const ref = staged ? this.#silver(replaceStagingName(table.name)) : live;
    const plan: TablePlan = { rows, ref, staged, columns: table.columns, keep: [] };
    const contract = this.#target.contract;
    if (contract === 'evolve' || table.appendOnly) return plan;
    const existing = await this.#columnsOf(tx, live);
    if (existing.length === 0) return plan;
    if (staged) plan.keep = existing;
    const changes = diffColumns(table.name, existing, [...table.columns, ...this.#target.metadata]);
    if (contract === 'freeze') {
      for (const change of changes) violations.push(describeChange(change));
      return plan;
    }
    const added = new Set(changes.filter((c) => c.kind === 'add').map((c) => c.column));
    if (added.size === 0) return plan;
    plan.columns = table.columns.filter((c) => !added.has(c.name));
    table.columns.forEach((column, index) => {
      if (!added.has(column.name)) return;
      const key = `${table.name}.${column.name}`;
      discarded[key] = (discarded[key] ?? 0) + (rows.file.nonNull[index] ?? 0);
    });
    return plan;
  }

  async #writeRows(tx: SqlClient, plan: TablePlan, batch: readonly PreparedRows[]): Promise<number> {
    const { rows, ref, staged } = plan;
    const { table } = rows;
    const metadata = this.#target.metadata;
    const wanted = [...plan.columns, ...metadata];
    const keep = plan.keep.filter((c) => !wanted.some((w) => w.name === c.name));
    const columns = [...keep, ...wanted];
    const max = this.#driver.maxColumns;
    // Named as the user knows it, not as the staging table of a replace.
    if (max !== undefined && columns.length > max)
      throw tooManyColumns({ ...ref, name: table.name }, columns, max);
    const { columns: actual, changes } = await this.#ensure(tx, ref, columns);
    this.#sources.set(table.name, [...plan.columns]);
    if (!staged) await recordSchemaChanges(tx, this.#target.origin, changes, plan.columns, new Date());
    // Values are read as the column's type in the table, which may be wider than this batch's.
    const types = new Map(actual.map((c) => [c.name, c.type]));
    const typed = (c: Column) => ({ ...c, type: types.get(c.name) ?? c.type });
    const merge = this.#merges(table);
    const children = merge ? await this.#childrenOf(tx, batch, staged) : [];
    if (merge) await this.#indexKey(tx, ref, table.primaryKey);
    let written: number;
    if (rows.direct) {
      if (rows.keys) {
        const keys = table.primaryKey.map((k, i) => ({
          values: rows.keys![i]!,
          type: this.#driver.types.toSql(types.get(k) ?? 'string'),
        }));
        await deleteKeys(tx, this.#driver.jsonElements, keys, [
          { table: ref, columns: table.primaryKey },
          ...children.map((c) => ({ table: c.table, columns: c.rootKey })),
        ]);
      }
      await this.#driver.append(tx, ref, [...plan.columns, ...metadata].map(typed), rows.file);
      written = rows.file.rows;
    } else {
      await this.#driver.stage(tx, '_rl_stage', table.columns.map(typed), rows.file);
      written = await writeStaged(
        tx,
        this.#driver.types,
        {
          staging: '_rl_stage',
          columns: plan.columns.map(typed),
          primaryKey: merge ? table.primaryKey : [],
          metadata,
          children,
          uniqueKeys: rows.uniqueKeys,
        },
        ref,
        merge ? 'merge' : 'append',
        this.#driver.tempTableAs,
      );
      await tx.execute(this.#driver.unstage('_rl_stage'));
    }
    if (merge) this.#merged.set(refSql(ref), (this.#merged.get(refSql(ref)) ?? 0) + written);
    return written;
  }

  /** Whether a table's rows replace those with the same key: a resource's own table, unless it appends. */
  #merges(table: TableSchema): boolean {
    return (
      !table.appendOnly &&
      table.rootKey === undefined &&
      table.primaryKey.length > 0 &&
      this.#target.disposition !== 'append'
    );
  }

  /**
   * Makes sure a merged table has its key index, and again whenever this load has doubled what it wrote into
   * the table: the statistics go stale as a new table grows (it was analyzed empty), and a planner that
   * believes the table small reads all of it for every batch. The driver takes statistics again only where
   * the table outgrew them, not for a merge into a table that was already large.
   */
  async #indexKey(tx: SqlClient, ref: TableRef, key: readonly string[]): Promise<void> {
    if (!this.#driver.keyIndex) return;
    const table = refSql(ref);
    const written = this.#merged.get(table) ?? 0;
    const checked = this.#indexed.get(table);
    if (checked !== undefined && written < Math.max(REINDEX_MIN_ROWS, 2 * checked)) return;
    await tx.execute(this.#driver.keyIndex(table, key.map(quoteIdent)));
    this.#indexed.set(table, written);
  }

  /** The existing child tables (or their staging tables) whose rows a merge of their parent replaces. */
  async #childrenOf(tx: SqlClient, batch: readonly PreparedRows[], staged: boolean) {
    const children: { table: TableRef; rootKey: readonly string[] }[] = [];
    for (const { table } of batch) {
      if (!table.rootKey) continue;
      const ref = this.#silver(staged ? replaceStagingName(table.name) : table.name);
      if ((await this.#columnsOf(tx, ref)).length > 0) children.push({ table: ref, rootKey: table.rootKey });
    }
    return children;
  }

  async #columnsOf(tx: SqlClient, ref: TableRef): Promise<Column[]> {
    const key = refSql(ref);
    let columns = this.#known.get(key);
    if (!columns) {
      columns = await readColumns(tx, this.#driver.types, ref);
      if (columns.length > 0) this.#known.set(key, columns);
    }
    return columns;
  }

  async #ensure(
    tx: SqlClient,
    ref: TableRef,
    columns: readonly Column[],
  ): Promise<{ columns: Column[]; changes: SchemaChange[] }> {
    const existing = await this.#columnsOf(tx, ref);
    const synced = await syncTable(tx, this.#driver.types, ref, existing, columns);
    this.#known.set(refSql(ref), synced.columns);
    return synced;
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
    this.#known.clear();
    const totals = await this.#sql.transaction(async (tx) => {
      for (const table of this.#target.tables) {
        const live = this.#silver(table);
        const target = refSql(live);
        if (this.#swaps) {
          const liveColumns = await readColumns(tx, this.#driver.types, live);
          const staging = this.#silver(replaceStagingName(table));
          const stagedColumns = await readColumns(tx, this.#driver.types, staging);
          if (stagedColumns.length > 0) {
            await recordSchemaChanges(
              tx,
              this.#target.origin,
              replacementChanges(table, liveColumns, stagedColumns),
              this.#sources.get(table) ?? [],
              new Date(),
            );
            await tx.execute(`DROP TABLE IF EXISTS ${target}`);
            failpoint('replace.swapping');
            await tx.execute(`ALTER TABLE ${refSql(staging)} RENAME TO ${quoteIdent(table)}`);
          } else if (liveColumns.length > 0) {
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

  async close(): Promise<void> {
    for (const prepared of this.#pending) prepared.discard();
    this.#pending.clear();
  }
}

/** What swapping a `replace` load's staging table in changes, column by column. */
function replacementChanges(
  table: string,
  live: readonly Column[],
  staged: readonly Column[],
): SchemaChange[] {
  if (live.length === 0) return diffColumns(table, [], staged);
  const before = new Map(live.map((c) => [c.name, c.type]));
  const changes: SchemaChange[] = [];
  for (const column of staged) {
    const type = before.get(column.name);
    if (type === undefined) changes.push({ kind: 'add', table, column: column.name, to: column.type });
    else if (type !== column.type)
      changes.push({ kind: 'retype', table, column: column.name, from: type, to: column.type });
    before.delete(column.name);
  }
  for (const [column, type] of before) changes.push({ kind: 'drop', table, column, from: type });
  return changes;
}

function describeChange(change: SchemaChange): string {
  return change.kind === 'add'
    ? `new column ${change.table}.${change.column} (${change.to})`
    : `column ${change.table}.${change.column} changes from ${change.from} to ${change.to}`;
}

/**
 * A table wider than the database allows, said with what to do about it: usually one object whose keys are
 * data (ids, dates, names) rather than fields, each flattened into a column of its own.
 */
function tooManyColumns(ref: TableRef, columns: readonly Column[], max: number): RestlakeError {
  const perObject = new Map<string, number>();
  for (const { source } of columns) {
    const cut = source?.lastIndexOf('.') ?? -1;
    if (cut > 0) perObject.set(source!.slice(0, cut), (perObject.get(source!.slice(0, cut)) ?? 0) + 1);
  }
  const [widest, count] = [...perObject].sort((a, b) => b[1] - a[1])[0] ?? [];
  const hint =
    widest === undefined
      ? 'declare fewer columns'
      : `the object at "${widest}" alone makes ${count} of them: if its keys are data (ids, dates), keep it as one JSON column (schema: { ${widest.split('.').map(toSnakeCase).join('__')}: json }) or flatten fewer levels (max_nesting)`;
  return new RestlakeError(
    'DESTINATION',
    `${refSql(ref)} would have ${columns.length} columns, more than the ${max} the database allows; ${hint}`,
    { context: { table: refSql(ref), columns: columns.length } },
  );
}
