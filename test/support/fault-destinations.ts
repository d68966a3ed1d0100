import { join } from 'node:path';
import { type FreshDatabase, freshDatabase, pgSkip } from './pg.js';
import { tempDir } from './workspace.js';

/**
 * The destinations the fault suite runs against, each with what differs: how a fresh target is made and how
 * a silver table is read back in a comparable form.
 */
export interface FaultDestination {
  name: string;
  /** Why this destination is skipped here, if it is. */
  skip: string | false;
  /** A destination config for a fresh target of pipeline `id`. */
  prepare(id: string): Promise<Record<string, unknown>>;
  /** Reads `main.items` (or the target's schema) with timestamps as ISO text. */
  selectItems(target: Record<string, unknown>): string;
  /** Removes what `prepare` made: DuckDB files, PostgreSQL databases. */
  cleanup(): Promise<void>;
}

const tmp = tempDir('restlake-faults-');

const duckdb: FaultDestination = {
  name: 'duckdb',
  skip: false,
  prepare: async (id) => ({ type: 'duckdb', path: join(tmp.dir, `${id}.duckdb`) }),
  // Each test file has its own folder, about 100 MB of DuckDB files by its end.
  cleanup: async () => tmp.cleanup(),
  selectItems: () =>
    `SELECT id, name, amount, version, strftime(updated_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS updated_at, tags,
       profile__tier, profile__score FROM main.items`,
};

// A fresh database per pipeline (silver in `main`, as on DuckDB): control rows, checkpoints and tables of one
// trial never meet another's.
const databases: Promise<FreshDatabase>[] = [];
const postgres: FaultDestination = {
  name: 'postgres',
  skip: pgSkip,
  prepare: async (_id) => {
    const database = freshDatabase();
    databases.push(database);
    return { type: 'postgres', url: (await database).url, schema: 'main' };
  },
  selectItems: () =>
    `SELECT id, name, amount, version, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at,
       tags, profile__tier, profile__score FROM main.items`,
  cleanup: async () => {
    for (const database of databases.splice(0)) await (await database).drop();
  },
};

export function faultDestinations(): FaultDestination[] {
  return [duckdb, postgres];
}
