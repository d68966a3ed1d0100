import type { ColumnType } from '../../normalize/types.js';

/** Values restlake binds as parameters. Timestamps travel as ISO strings and are cast in SQL. */
export type SqlValue = string | number | boolean | null;
export type SqlRow = Record<string, unknown>;

/**
 * What differs between the SQL databases restlake writes to, as capabilities rather than names: core code
 * asks `dialect.skipLocked`, never `type === 'postgres'`.
 */
export interface SqlDialect {
  readonly name: string;
  /** Row locks that other sessions skip (`FOR UPDATE SKIP LOCKED`): claims by many workers at once. */
  readonly skipLocked: boolean;
  /** Several processes may use the database at once; DuckDB admits one process per file. */
  readonly multiProcess: boolean;
  /**
   * A statement taking a lock on the text key `$1` until the transaction ends, to serialize processes doing the
   * same thing at once (migrations, planning one resource); absent where one process has the database.
   */
  readonly transactionLock?: string;
  /**
   * A statement that folds the write-ahead log into the database file, run after migrations that changed
   * something: DuckDB 1.5 cannot replay an `ALTER TABLE ... ADD COLUMN` on a table with a `nextval` default
   * from its WAL after a crash (the file would no longer open), so migrations must not stay in the WAL.
   */
  readonly checkpointAfterMigration?: string;
}

/** A connection (or pool) that runs parameterized SQL with `$1, $2, ...` placeholders. */
export interface SqlClient {
  readonly dialect: SqlDialect;
  query<T = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs a statement; returns the number of rows it changed. */
  execute(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
}

/** Quotes an identifier for both DuckDB and PostgreSQL (names were validated when the config was read). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualified(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/** A string literal, for the few places a database takes no parameter (DDL defaults, file paths). */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** How a SQL database spells restlake's column types, and reads them back from information_schema. */
export interface SqlTypeMap {
  toSql(type: ColumnType): string;
  /** From information_schema.columns (data_type, numeric precision and scale); undefined when unknown. */
  fromSql(dataType: string, precision: number | null, scale: number | null): ColumnType | undefined;
  /** `ALTER TABLE ... ALTER COLUMN` to widen a column. */
  alterType(table: string, column: string, type: ColumnType): string;
}
