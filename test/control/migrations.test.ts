import { afterAll, expect, test } from 'vitest';
import { withWorkspace } from '../support/run.js';
import { tempDir } from '../support/workspace.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const AUDIT_V3 = ['CastErrors', 'QuarantinedCount', 'DiscardedColumns'];

test('a fresh database has the audit columns from version 1; one made before version 3 gets them from version 3', async () => {
  const destination = { type: 'duckdb', path: tmp.path('migrations.duckdb') };
  const columns = async (sql: { query: (q: string) => Promise<Record<string, unknown>[]> }) =>
    (
      await sql.query(
        `SELECT column_name AS c FROM information_schema.columns WHERE table_schema = 'metadata' AND table_name = 'api_audit_table'`,
      )
    ).map((r) => String(r.c));

  await withWorkspace(destination, tmp.dir, async ({ control }) => {
    // Fresh: version 3 found its columns there already (version 1 creates them).
    expect(await columns(control.sql)).toEqual(expect.arrayContaining(AUDIT_V3));
    // As a database migrated by an older restlake: version 1 without the columns, version 3 not applied.
    for (const column of AUDIT_V3)
      await control.sql.execute(`ALTER TABLE metadata.api_audit_table DROP COLUMN ${column}`);
    await control.sql.execute(
      `DELETE FROM metadata.restlake_migrations WHERE Scope = 'control' AND Version = 3`,
    );
  });
  await withWorkspace(destination, tmp.dir, async ({ control }) => {
    expect(await columns(control.sql)).toEqual(expect.arrayContaining(AUDIT_V3));
    expect(await control.migrate()).toEqual([]);
  });
});
