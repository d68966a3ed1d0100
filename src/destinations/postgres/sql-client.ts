import type { Pool, PoolClient } from 'pg';
import { RestlakeError } from '../../core/errors.js';
import type { SqlClient, SqlDialect, SqlRow, SqlValue } from '../sql/client.js';

export const postgresDialect: SqlDialect = {
  name: 'postgres',
  skipLocked: true,
  multiProcess: true,
  // Transaction-scoped: released at COMMIT or ROLLBACK, and by the server if this process dies.
  transactionLock: 'SELECT pg_advisory_xact_lock(hashtext($1))',
};

// Class 08 (connection exception) and 57P0x (the server shut the session down, e.g. pg_terminate_backend).
const CONNECTION_SQLSTATE = /^(08|57P0)/;
const CONNECTION_ERRNO = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND']);

/** True when the session is gone (not when a statement failed): the work of its open transaction is lost. */
export function isConnectionLost(error: unknown): boolean {
  if (error instanceof RestlakeError) return error.cause !== undefined && isConnectionLost(error.cause);
  const e = error as { code?: unknown; message?: unknown };
  if (typeof e?.code === 'string' && (CONNECTION_SQLSTATE.test(e.code) || CONNECTION_ERRNO.has(e.code)))
    return true;
  return typeof e?.message === 'string' && /Connection terminated|not queryable/i.test(e.message);
}

/** pg's errors with what a user needs to act on them; a lost connection is transient (kind `retry`). */
export function wrapPgError(error: unknown, sql: string): RestlakeError {
  if (error instanceof RestlakeError) return error;
  const e = error as { message?: string; code?: string; detail?: string };
  const lost = isConnectionLost(error);
  const statement = sql.replace(/\s+/g, ' ').trim().slice(0, 200);
  return new RestlakeError(
    'DESTINATION',
    lost
      ? `lost the connection to PostgreSQL (${e.message ?? 'unknown'}); nothing of the open transaction was committed`
      : `PostgreSQL: ${e.message ?? String(error)}${e.detail ? ` (${e.detail})` : ''} in: ${statement}`,
    { cause: error, kind: lost ? 'retry' : 'fatal', context: { sqlstate: e.code } },
  );
}

/** A pool or a checked-out connection: both run a statement the same way. */
type Queryable = Pick<Pool, 'query'> | PoolClient;

async function run(on: Queryable, sql: string, params: readonly SqlValue[]) {
  try {
    return await on.query(sql, params as SqlValue[]);
  } catch (error) {
    throw wrapPgError(error, sql);
  }
}

/**
 * A SqlClient over a pg Pool: autocommit statements take any pooled connection; a transaction holds one
 * connection from BEGIN to COMMIT. A connection the server dropped is discarded, not returned to the pool, so
 * the next statement reconnects.
 */
export class PgSqlClient implements SqlClient {
  readonly dialect = postgresDialect;
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async query<T = SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return (await run(this.#pool, sql, params)).rows as T[];
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return (await run(this.#pool, sql, params)).rowCount ?? 0;
  }

  async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    const client = await this.#begin();
    // A checked-out connection that the server drops between statements emits 'error'; unheard, it would
    // crash the process. The next statement on it fails and says why.
    const onError = () => {};
    client.on('error', onError);
    let broken = false;
    try {
      const result = await fn(new PgTransaction(client));
      try {
        await client.query('COMMIT');
      } catch (error) {
        throw wrapPgError(error, 'COMMIT');
      }
      return result;
    } catch (error) {
      broken = isConnectionLost(error);
      if (!broken)
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
      throw error;
    } finally {
      client.removeListener('error', onError);
      // A broken connection is closed rather than pooled.
      client.release(broken);
    }
  }

  /**
   * A connection with an open transaction. A pooled connection whose server session ended while it was idle
   * fails at BEGIN, before anything ran: that one is safe to replace, so it is, once.
   */
  async #begin(): Promise<PoolClient> {
    for (let attempt = 1; ; attempt++) {
      let client: PoolClient;
      try {
        client = await this.#pool.connect();
      } catch (error) {
        throw wrapPgError(error, 'connect');
      }
      try {
        await client.query('BEGIN');
        return client;
      } catch (error) {
        client.release(true);
        if (attempt >= 2 || !isConnectionLost(error)) throw wrapPgError(error, 'BEGIN');
      }
    }
  }
}

/** The statements of one open transaction, on the connection that holds it. */
export class PgTransaction implements SqlClient {
  readonly dialect = postgresDialect;
  readonly client: PoolClient;

  constructor(client: PoolClient) {
    this.client = client;
  }

  async query<T = SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return (await run(this.client, sql, params)).rows as T[];
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return (await run(this.client, sql, params)).rowCount ?? 0;
  }

  /** Already in one: the work joins it. */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    return fn(this);
  }
}
