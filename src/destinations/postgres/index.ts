import type { DestinationConfig, PostgresConnectionConfig } from '../../config/schema.js';
import { RestlakeError } from '../../core/errors.js';
import { quoteIdent, quoteLiteral, type SqlClient } from '../sql/client.js';
import { DESTINATION_MIGRATIONS } from '../sql/destination-migrations.js';
import { type SqlDriver, SqlLoadWriter } from '../sql/load-writer.js';
import { ensureSchemas, migrate } from '../sql/migrate.js';
import { refSql } from '../sql/tables.js';
import type { ControlDatabase, Destination, LoadTarget, LoadWriter, QueryResult } from '../types.js';
import { writeBinaryCopyFile } from './binary-copy.js';
import { acquirePool, databaseName, type PoolHandle } from './connection.js';
import { copyAppend, copyStage } from './copy.js';
import { PgSqlClient, type PgTransaction } from './sql-client.js';
import { postgresTypes } from './types.js';

type Config = Extract<DestinationConfig, { type: 'postgres' }>;

const driver: SqlDriver = {
  types: postgresTypes,
  stage: (tx, name, columns, file) => copyStage(tx as PgTransaction, name, columns, file),
  append: (tx, table, columns, file) => copyAppend(tx as PgTransaction, refSql(table), columns, file),
  jsonElements: (param, type) => `CAST(json_array_elements_text(CAST(${param} AS JSON)) AS ${type})`,
  // ON COMMIT DROP: a staging table never outlives its transaction on a pooled connection.
  tempTableAs: (name, select) => `CREATE TEMP TABLE ${name} ON COMMIT DROP AS ${select}`,
  unstage: (name) => `DROP TABLE IF EXISTS pg_temp.${name}`,
  // Without it, every merged batch's DELETE reads the whole table. Named after the table's oid, which stays
  // when a replace load's staging table is renamed into place, so the name never collides and is found again.
  // ANALYZE when the table has more than doubled since its statistics were taken (a new table, a replace's
  // staging table, analyzed empty): one planned as nearly empty is read whole for every batch rather than
  // through the index. A merge into a table that has not grown much is left alone (ANALYZE reads a sample).
  keyIndex: (table, columns) =>
    `DO $rl$ BEGIN
       EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s (%s)', '_rl_key_' || ${quoteLiteral(table)}::regclass::oid,
         ${quoteLiteral(table)}, ${quoteLiteral(columns.join(', '))});
       IF (SELECT pg_relation_size(oid) / current_setting('block_size')::int > 2 * relpages + 8
           FROM pg_class WHERE oid = ${quoteLiteral(table)}::regclass) THEN
         EXECUTE ${quoteLiteral(`ANALYZE ${table}`)};
       END IF;
     END $rl$`,
  // lz4 compresses a page about twice as fast as PostgreSQL's default (pglz) for 30% more room: bronze COPY was
  // the largest part of a load. A server built without lz4 keeps the default.
  // A load that would reach it is told which object to keep as JSON. (Dropped columns count too, so a table
  // that lost many can meet PostgreSQL's own error first.)
  maxColumns: 1600,
  writePages: writeBinaryCopyFile,
  rawPages: (table, column) =>
    `DO $rl$ BEGIN
       EXECUTE ${quoteLiteral(`ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(column)} SET COMPRESSION lz4`)};
     EXCEPTION WHEN OTHERS THEN NULL;
     END $rl$`,
};

/**
 * PostgreSQL as a destination: bronze and silver tables in one database, loaded with COPY, each batch and its
 * checkpoint in one transaction. Any number of processes may load into it at once.
 */
export class PostgresDestination implements Destination {
  readonly type = 'postgres';
  readonly capabilities = { transactions: true, multiProcess: true };
  readonly catalog: string;
  readonly schema: string;
  readonly #config: Config;
  readonly #pool: PoolHandle;
  readonly #sql: PgSqlClient;

  private constructor(config: Config, pool: PoolHandle) {
    this.#config = config;
    this.#pool = pool;
    this.#sql = new PgSqlClient(pool.pool);
    this.catalog = databaseName(config);
    this.schema = config.schema;
  }

  static async open(config: Config): Promise<PostgresDestination> {
    const destination = new PostgresDestination(config, await acquirePool(config));
    try {
      await migrate(destination.#sql, DESTINATION_MIGRATIONS, 'destination');
      await ensureSchemas(destination.#sql, [config.schema, config.bronze_schema]);
      return destination;
    } catch (error) {
      await destination.close();
      throw error;
    }
  }

  sql(): SqlClient {
    return this.#sql;
  }

  async openLoad(target: LoadTarget): Promise<LoadWriter> {
    // Each transaction takes its own pooled connection, so concurrent loads never share one.
    return SqlLoadWriter.open({ sql: this.#sql, driver, target, config: this.#config });
  }

  async query(text: string): Promise<QueryResult> {
    try {
      const result = await this.#pool.pool.query(text);
      // A multi-statement text gives one result per statement: show the last, as psql does.
      const last = Array.isArray(result) ? result.at(-1) : result;
      return { columns: last?.fields?.map((f: { name: string }) => f.name) ?? [], rows: last?.rows ?? [] };
    } catch (error) {
      throw new RestlakeError('USAGE', `query failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async close(): Promise<void> {
    await this.#pool.release();
  }
}

/** A PostgreSQL database holding only the control plane (`control: { type: postgres, ... }`). */
export async function openPostgresControl(config: PostgresConnectionConfig): Promise<ControlDatabase> {
  const handle = await acquirePool(config);
  return { sql: new PgSqlClient(handle.pool), close: () => handle.release() };
}
