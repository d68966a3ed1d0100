import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe } from 'vitest';

const HOST = process.env.RESTLAKE_PG_HOST ?? '127.0.0.1';
const PORT = Number(process.env.RESTLAKE_PG_PORT ?? 5432);
const USERS = process.env.RESTLAKE_PG_USER ? [process.env.RESTLAKE_PG_USER] : ['postgres', 'root'];

/** postgres:// URL of a database on the local test server. */
export const pgUrl = (user: string, database: string) => `postgres://${user}@${HOST}:${PORT}/${database}`;

async function adminClient(): Promise<{ client: pg.Client; user: string } | undefined> {
  for (const user of USERS) {
    const client = new pg.Client({ connectionString: pgUrl(user, 'test'), connectionTimeoutMillis: 3_000 });
    client.on('error', () => {});
    try {
      await client.connect();
      return { client, user };
    } catch {
      await client.end().catch(() => {});
    }
  }
  return undefined;
}

const admin = await adminClient();
await admin?.client.end();
const required = process.env.RESTLAKE_REQUIRE_PG === '1';
if (!admin) {
  const message = `PostgreSQL is not reachable at ${HOST}:${PORT} (database test, user ${USERS.join(' or ')})`;
  if (required) throw new Error(`${message}, and RESTLAKE_REQUIRE_PG=1`);
  process.stderr.write(`\n[restlake tests] SKIPPING PostgreSQL tests: ${message}\n`);
}

/** Why PostgreSQL tests are skipped, or false when the server answers. */
export const pgSkip: string | false = admin ? false : 'PostgreSQL is not reachable';

/** `describe` that runs only when the local PostgreSQL answers (and fails the file when it must). */
export function describePg(name: string, fn: () => void): void {
  describe.skipIf(!admin)(name, fn);
}

export interface FreshDatabase {
  name: string;
  url: string;
  user: string;
  /** Runs SQL on the fresh database with a short-lived connection. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/**
 * A database of its own for one test file (`rl_<random>`), created from a connection to `test`, so test files
 * and other people's runs never see each other's tables. `drop` terminates leftover sessions first.
 */
export async function freshDatabase(): Promise<FreshDatabase> {
  const connection = await adminClient();
  if (!connection) throw new Error('PostgreSQL is not reachable');
  const { client, user } = connection;
  const name = `rl_${randomBytes(6).toString('hex')}`;
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = pgUrl(user, name);
  return {
    name,
    url,
    user,
    async query(sql, params) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        return (await c.query(sql, params)).rows;
      } finally {
        await c.end();
      }
    },
    async drop() {
      const again = await adminClient();
      if (!again) return;
      try {
        await again.client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await again.client.end();
      }
    },
  };
}
