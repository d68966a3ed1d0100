import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { Semaphore } from '../../core/semaphore.js';
import type { SqlClient, SqlDialect, SqlRow, SqlValue } from '../sql/client.js';

export const duckdbDialect: SqlDialect = {
  name: 'duckdb',
  skipLocked: false,
  multiProcess: false,
  checkpointAfterMigration: 'CHECKPOINT',
};

/** BIGINT comes back as bigint; restlake's own tables never exceed 2^53, so plain numbers are easier to use. */
function toPlain(row: Record<string, unknown>): SqlRow {
  for (const key in row) {
    const value = row[key];
    if (typeof value === 'bigint')
      row[key] = Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  }
  return row;
}

/**
 * A SqlClient over one DuckDB connection. A connection runs one statement at a time and its transaction
 * spans everything sent on it, so calls are serialized and a transaction holds the connection until it ends.
 */
export class DuckDbSqlClient implements SqlClient {
  readonly dialect = duckdbDialect;
  readonly connection: DuckDBConnection;
  readonly #lock: Semaphore | undefined;

  constructor(connection: DuckDBConnection, lock: Semaphore | undefined = new Semaphore(1)) {
    this.connection = connection;
    this.#lock = lock;
  }

  #locked<T>(task: () => Promise<T>): Promise<T> {
    return this.#lock ? this.#lock.run(task) : task();
  }

  query<T = SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.#locked(async () => {
      const reader = await this.connection.runAndReadAll(sql, params as DuckDBValue[]);
      return reader.getRowObjectsJS().map(toPlain) as T[];
    });
  }

  execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.#locked(async () => {
      const result = await this.connection.run(
        sql,
        params.length > 0 ? (params as DuckDBValue[]) : undefined,
      );
      return Number(result.rowsChanged);
    });
  }

  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    return this.#locked(async () => {
      const tx = new DuckDbSqlClient(this.connection, undefined);
      await this.connection.run('BEGIN TRANSACTION');
      try {
        const result = await fn(tx);
        await this.connection.run('COMMIT');
        return result;
      } catch (error) {
        await this.connection.run('ROLLBACK').catch(() => {});
        throw error;
      }
    });
  }
}
