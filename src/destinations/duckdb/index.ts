import { resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { DestinationConfig } from '../../config/schema.js';
import { RestlakeError } from '../../core/errors.js';
import { quoteIdent, quoteLiteral, type SqlClient } from '../sql/client.js';
import { CSV_QUOTE } from '../sql/csv.js';
import { DESTINATION_MIGRATIONS } from '../sql/destination-migrations.js';
import { type SqlDriver, SqlLoadWriter } from '../sql/load-writer.js';
import { ensureSchemas, migrate } from '../sql/migrate.js';
import type { RowFile } from '../sql/row-file.js';
import { refSql } from '../sql/tables.js';
import type { ControlDatabase, Destination, LoadTarget, LoadWriter, QueryResult } from '../types.js';
import { type DuckDbHandle, openDuckDb } from './instance.js';
import { DuckDbSqlClient } from './sql-client.js';
import { duckdbTypes } from './types.js';

type Config = Extract<DestinationConfig, { type: 'duckdb' }>;

/** A scan of one of restlake's CSV files, its columns named and typed as given. */
function readCsv(file: RowFile, columns: readonly (readonly [name: string, type: string])[]): string {
  const q = quoteLiteral(CSV_QUOTE);
  const types = columns.map(([name, type]) => `${quoteLiteral(name)}: ${quoteLiteral(type)}`);
  return `read_csv(${quoteLiteral(file.path)}, header = false, auto_detect = false, quote = ${q}, escape = ${q},
    allow_quoted_nulls = false, columns = {${types.join(', ')}})`;
}

const driver: SqlDriver = {
  types: duckdbTypes,
  async stage(tx, name, columns, file) {
    // DuckDB parses a CSV file in native code, many times faster than one appender call per value. A view
    // rather than a table: the statements reading it scan the file, typed as they read it, and the rows are
    // never copied into a table of text first.
    const scan = readCsv(file, [
      ['_rl_seq', 'INTEGER'],
      ...columns.map((c) => [c.name, duckdbTypes.toSql(c.type)] as const),
    ]);
    await tx.execute(`CREATE OR REPLACE TEMP VIEW ${quoteIdent(name)} AS SELECT * FROM ${scan}`);
  },
  async append(tx, table, columns, file) {
    const scan = readCsv(
      file,
      columns.map((c) => [c.name, duckdbTypes.toSql(c.type)] as const),
    );
    await tx.execute(
      `INSERT INTO ${refSql(table)} (${columns.map((c) => quoteIdent(c.name)).join(', ')}) SELECT * FROM ${scan}`,
    );
  },
  jsonElements: (param, type) => `unnest(CAST(CAST(${param} AS JSON) AS ${type}[]))`,
  tempTableAs: (name, select) => `CREATE OR REPLACE TEMP TABLE ${quoteIdent(name)} AS ${select}`,
  unstage: (name) => `DROP VIEW IF EXISTS temp.main.${quoteIdent(name)}`,
};

/**
 * The embedded default: one DuckDB file holding bronze, silver, and (unless configured elsewhere) the control
 * plane. One DuckDB transaction covers a batch's staged rows, its writes and its checkpoint.
 */
export class DuckDbDestination implements Destination {
  readonly type = 'duckdb';
  readonly capabilities = { transactions: true, multiProcess: false };
  readonly catalog: string;
  readonly schema: string;
  readonly #config: Config;
  readonly #handle: DuckDbHandle;
  readonly #sql: DuckDbSqlClient;
  readonly #connections: DuckDBConnection[] = [];

  private constructor(config: Config, handle: DuckDbHandle, connection: DuckDBConnection) {
    this.#config = config;
    this.#handle = handle;
    this.#sql = new DuckDbSqlClient(connection);
    this.#connections.push(connection);
    this.catalog = handle.catalog;
    this.schema = config.schema;
  }

  static async open(config: Config, baseDir: string): Promise<DuckDbDestination> {
    const handle = await openDuckDb(config.path === ':memory:' ? config.path : resolve(baseDir, config.path));
    try {
      const connection = await connect(handle);
      const destination = new DuckDbDestination(config, handle, connection);
      await configure(destination.#sql, config);
      await migrate(destination.#sql, DESTINATION_MIGRATIONS, 'destination');
      // Created here, once, rather than inside load transactions: concurrent loads creating the same schema
      // would conflict.
      await ensureSchemas(destination.#sql, [config.schema, config.bronze_schema]);
      return destination;
    } catch (error) {
      handle.release();
      throw error;
    }
  }

  sql(): SqlClient {
    return this.#sql;
  }

  async openLoad(target: LoadTarget): Promise<LoadWriter> {
    // Each load writes on its own connection, so its transactions never interleave with another load's.
    const connection = await connect(this.#handle);
    this.#connections.push(connection);
    return SqlLoadWriter.open({ sql: new DuckDbSqlClient(connection), driver, target, config: this.#config });
  }

  async query(text: string): Promise<QueryResult> {
    try {
      const reader = await this.#sql.connection.runAndReadAll(text);
      return { columns: reader.columnNames(), rows: reader.getRowObjectsJson() as Record<string, unknown>[] };
    } catch (error) {
      throw new RestlakeError('USAGE', `query failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async close(): Promise<void> {
    for (const connection of this.#connections.splice(0)) connection.closeSync();
    this.#handle.release();
  }
}

/**
 * Instance-wide settings. A large checkpoint threshold lets commits append to the write-ahead log and leaves
 * the compressing rewrite of the file to fewer, larger checkpoints (and to close): committing every batch
 * with a checkpoint of its own cost more than half of a load's time.
 */
async function configure(sql: SqlClient, config: Config): Promise<void> {
  if (config.memory_limit) await sql.execute(`SET memory_limit = ${quoteLiteral(config.memory_limit)}`);
  await sql.execute(`SET checkpoint_threshold = '512MB'`);
  await sql.execute(`SET disabled_compression_methods = '${config.compression === 'fast' ? 'fsst' : ''}'`);
}

async function connect(handle: DuckDbHandle): Promise<DuckDBConnection> {
  const connection = await handle.instance.connect();
  await connection.run(`USE ${quoteIdent(handle.catalog)}`);
  // Timestamps print in UTC whatever the machine's zone, as they are stored.
  await connection.run(`SET TimeZone = 'UTC'`);
  return connection;
}

/** A DuckDB file holding only the control plane; one process at a time, like every DuckDB file. */
export async function openDuckDbControl(path: string, baseDir: string): Promise<ControlDatabase> {
  const handle = await openDuckDb(path === ':memory:' ? path : resolve(baseDir, path));
  try {
    const connection = await connect(handle);
    return {
      sql: new DuckDbSqlClient(connection),
      close: async () => {
        connection.closeSync();
        handle.release();
      },
    };
  } catch (error) {
    handle.release();
    throw error;
  }
}
