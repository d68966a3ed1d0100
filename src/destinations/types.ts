import type { SchemaContract } from '../config/normalize.js';
import type { WriteDisposition } from '../config/schema.js';
import type { Column, RowSet } from '../normalize/types.js';
import type { SqlClient } from './sql/client.js';

/** What a destination can do; the pipeline asks these, never the destination's name. */
export interface Capabilities {
  /** A batch's bronze rows, silver writes and checkpoint commit in one transaction. */
  transactions: boolean;
  /** Several processes may write at once (PostgreSQL); DuckDB allows one process per file. */
  multiProcess: boolean;
}

/** One raw page as fetched, for the bronze table. */
export interface BronzePage {
  runId: string;
  loadKey: string;
  pageIndex: number;
  url: string;
  method: string;
  /** JSON of the request's query and body, credentials masked. */
  request: string;
  status: number;
  fetchedAt: Date;
  /**
   * The raw response; null when there was none (204 No Content). Its UTF-8 bytes where the page came as valid
   * UTF-8 and masking changed nothing: written as they are, they spare encoding the text again (2 ms for a
   * 480 KB page on the main thread).
   */
  body: string | Buffer | null;
  bytes: number;
  /** The window `[start, end)` the page was requested for (ISO), when the load has windows. */
  windowStart: string | null;
  windowEnd: string | null;
  /** A child resource's parent fields copied into its records (JSON), which the body alone does not hold. */
  parentFields: string | null;
}

/** A column with the same value on every row of a load. */
export interface MetadataColumn extends Column {
  value: string;
}

/** One load of one resource into its tables. */
export interface LoadTarget {
  /** Unique per load (control row); the checkpoint and the replace staging table are keyed by it. */
  loadKey: string;
  disposition: WriteDisposition;
  /** The silver tables the load writes (a resource's table, and its child tables). */
  tables: readonly string[];
  /** Bronze table name, or undefined when bronze is off. */
  bronzeTable: string | undefined;
  /** Constant columns added to every silver row (`_restlake_run_id`, ...). */
  metadata: readonly MetadataColumn[];
  /** Who writes, for the schema history (`metadata.api_schema_history`). */
  origin: { configId: string; resource: string; runId: string };
  /** What a new or changed column does: `evolve` alters the table, `freeze` fails, `discard_columns` drops it. */
  contract: SchemaContract;
  /**
   * Fill staging tables and swap them in at `finish`, whatever the disposition (a rebuild from bronze); a
   * `replace` load always does.
   */
  swap?: boolean;
}

/** What one commit holds: the raw pages, the rows derived from them, and where the stream stood after them. */
export interface Batch {
  pages: BronzePage[];
  rowSets: RowSet[];
  /** JSON text; committed with the data, read back by `readCheckpoint` to resume. */
  checkpoint: string;
}

export interface BatchResult {
  /** Rows written per table after deduplication. */
  rows: Record<string, number>;
  /** Under `discard_columns`: values dropped per `table.column` because the column is new. */
  discarded: Record<string, number>;
}

/** A batch made ready for the database ahead of its commit, holding no rows in memory any more. */
export interface PreparedBatch {
  readonly checkpoint: string;
  /** Lets go of what the preparation holds (its files), for a batch that will not be written. */
  discard(): void;
}

/** Writes one load: batch after batch, each atomically with its checkpoint, then `finish`. */
export interface LoadWriter {
  readCheckpoint(): Promise<string | undefined>;
  /**
   * Encodes a batch for the database's bulk path, so that the caller can let go of its rows and the work
   * happens while the previous batch commits; `write` takes the result (or a batch, which it prepares).
   */
  prepare(batch: Batch): Promise<PreparedBatch>;
  write(batch: Batch | PreparedBatch): Promise<BatchResult>;
  /** Completes the load (a replace swaps its staging table in) and returns each table's total row count. */
  finish(checkpoint: string): Promise<Record<string, number>>;
  /** Each table's row count, for a load whose `finish` already committed before its process died. */
  totals(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export interface QueryResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

export interface Destination {
  readonly type: string;
  readonly capabilities: Capabilities;
  /** TargetCatalog / TargetSchema in the control table. */
  readonly catalog: string;
  readonly schema: string;
  /** SQL access to the same database, for a control plane that lives beside the data. */
  sql(): SqlClient;
  openLoad(target: LoadTarget): Promise<LoadWriter>;
  /** Runs a user's query (`restlake query`). */
  query(sql: string): Promise<QueryResult>;
  close(): Promise<void>;
}

/** A database holding only the control plane (`control:` in a pipeline file), apart from the destination. */
export interface ControlDatabase {
  sql: SqlClient;
  close(): Promise<void>;
}
