import type { SqlClient } from './client.js';

/** A numbered set of statements; applied once per database and recorded in `metadata.restlake_migrations`. */
export interface Migration {
  version: number;
  description: string;
  statements: readonly string[];
}

/**
 * Applies the migrations not yet recorded, each in its own transaction. `lock` serializes concurrent
 * first starts where the database supports it (PostgreSQL advisory locks); DuckDB has one process per file.
 */
export async function migrate(
  sql: SqlClient,
  migrations: readonly Migration[],
  scope: string,
  lock?: (tx: SqlClient) => Promise<void>,
): Promise<number[]> {
  await sql.execute('CREATE SCHEMA IF NOT EXISTS metadata');
  await sql.execute(`CREATE TABLE IF NOT EXISTS metadata.restlake_migrations (
    Scope VARCHAR NOT NULL,
    Version INTEGER NOT NULL,
    Description VARCHAR,
    AppliedAt TIMESTAMPTZ,
    PRIMARY KEY (Scope, Version)
  )`);
  const applied: number[] = [];
  for (const migration of migrations) {
    const done = await sql.transaction(async (tx) => {
      if (lock) await lock(tx);
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
  const checkpoint = sql.dialect.checkpointAfterMigration;
  if (applied.length > 0 && checkpoint) await sql.execute(checkpoint);
  return applied;
}
