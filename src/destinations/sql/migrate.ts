import { failpoint } from '../../core/failpoint.js';
import { quoteIdent, type SqlClient } from './client.js';

/** A numbered set of statements; applied once per database and recorded in `metadata.restlake_migrations`. */
export interface Migration {
  version: number;
  description: string;
  statements: readonly string[];
}

/**
 * Runs `fn` in one transaction holding the lock on `key` (`dialect.transactionLock`; PostgreSQL: a
 * transaction-scoped advisory lock), so that processes doing the same thing at once take turns. DuckDB has one
 * process per file and needs none.
 */
export async function withLock<T>(
  sql: SqlClient,
  key: string,
  fn: (tx: SqlClient) => Promise<T>,
): Promise<T> {
  return sql.transaction(async (tx) => {
    if (sql.dialect.transactionLock) await tx.query(sql.dialect.transactionLock, [key]);
    return fn(tx);
  });
}

/**
 * Migrations and schema creation take turns across processes: `CREATE ... IF NOT EXISTS` alone races on
 * PostgreSQL when several workers start against a fresh database at once.
 */
const underMigrationLock = <T>(sql: SqlClient, fn: (tx: SqlClient) => Promise<T>) =>
  withLock(sql, 'restlake.migrations', fn);

/** Creates schemas that may not exist yet, safely when several processes start at once. */
export async function ensureSchemas(sql: SqlClient, schemas: Iterable<string>): Promise<void> {
  await underMigrationLock(sql, async (tx) => {
    for (const schema of new Set(schemas))
      await tx.execute(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  });
}

/**
 * Applies the migrations not yet recorded, each in its own transaction under the migration lock: when several
 * workers start against a fresh database at once, each migration is applied exactly once. Returns the versions
 * this call applied.
 */
export async function migrate(
  sql: SqlClient,
  migrations: readonly Migration[],
  scope: string,
): Promise<number[]> {
  await underMigrationLock(sql, async (tx) => {
    await tx.execute('CREATE SCHEMA IF NOT EXISTS metadata');
    await tx.execute(`CREATE TABLE IF NOT EXISTS metadata.restlake_migrations (
      Scope VARCHAR NOT NULL,
      Version INTEGER NOT NULL,
      Description VARCHAR,
      AppliedAt TIMESTAMPTZ,
      PRIMARY KEY (Scope, Version)
    )`);
  });
  const applied: number[] = [];
  for (const migration of migrations) {
    const done = await underMigrationLock(sql, async (tx) => {
      const rows = await tx.query(
        'SELECT 1 AS done FROM metadata.restlake_migrations WHERE Scope = $1 AND Version = $2',
        [scope, migration.version],
      );
      if (rows.length > 0) return true;
      for (const statement of migration.statements) await tx.execute(statement);
      await tx.execute(
        'INSERT INTO metadata.restlake_migrations (Scope, Version, Description, AppliedAt) VALUES ($1, $2, $3, CAST($4 AS TIMESTAMPTZ))',
        [scope, migration.version, migration.description, new Date().toISOString()],
      );
      return false;
    });
    if (!done) applied.push(migration.version);
  }
  if (applied.length > 0) failpoint('migrations.applied');
  const checkpoint = sql.dialect.checkpointAfterMigration;
  if (applied.length > 0 && checkpoint) await sql.execute(checkpoint);
  return applied;
}
