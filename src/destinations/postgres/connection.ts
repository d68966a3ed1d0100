import type { Pool, PoolConfig } from 'pg';
import type { PostgresConnectionConfig } from '../../config/schema.js';
import { RestlakeError } from '../../core/errors.js';
import { redact, registerSecret } from '../../core/redact.js';

const INT8 = 20;
const DATE = 1082;

/**
 * Values as restlake's own code expects them on every database: BIGINT (counts, IndexNo) as a number when it
 * fits, DATE as its `YYYY-MM-DD` text (pg would make a Date at local midnight). TIMESTAMPTZ stays a Date and
 * NUMERIC stays exact text.
 */
function typeParser(pgTypes: typeof import('pg').types) {
  return {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === INT8) return (text: string) => (Number.isSafeInteger(Number(text)) ? Number(text) : text);
      if (oid === DATE) return (text: string) => text;
      return format === 'binary' ? pgTypes.getTypeParser(oid, 'binary') : pgTypes.getTypeParser(oid, 'text');
    },
  };
}

/** The password inside a connection string is a secret even when written literally. */
function registerUrlSecret(url: string | undefined): void {
  if (!url) return;
  try {
    const password = new URL(url).password;
    if (password) registerSecret(decodeURIComponent(password));
  } catch {
    // Not a URL the WHATWG parser takes; pg reports it when connecting.
  }
}

/** Where a config connects, for messages (never the password). */
export function describeTarget(config: PostgresConnectionConfig): string {
  if (config.url) {
    try {
      const url = new URL(config.url);
      return `${url.hostname}:${url.port || 5432}/${url.pathname.slice(1)}`;
    } catch {
      return redact(config.url.replace(/\/\/[^@/]*@/, '//'));
    }
  }
  return `${config.host ?? 'localhost'}:${config.port ?? 5432}/${config.database ?? ''}`;
}

/** The database name: TargetCatalog in the control table. */
export function databaseName(config: PostgresConnectionConfig): string {
  if (config.database) return config.database;
  try {
    return decodeURIComponent(new URL(config.url ?? '').pathname.slice(1)) || 'postgres';
  } catch {
    return 'postgres';
  }
}

/** A shared pool: released by each user; ended when the last one lets go. */
export interface PoolHandle {
  pool: Pool;
  release(): Promise<void>;
}

interface Entry {
  pool: Promise<Pool>;
  users: number;
}

// Destinations in different schemas of one server, and a control plane beside them, share one pool per process:
// a worker with many pipeline files must not open a pool (and its connections) per file.
const pools = new Map<string, Entry>();

const CONNECTION_KEYS = [
  'url',
  'host',
  'port',
  'database',
  'user',
  'password',
  'ssl',
  'statement_timeout',
  'pool_size',
] as const satisfies readonly (keyof PostgresConnectionConfig)[];

/** Same connection settings, same pool (a destination's schema and bronze options play no part). */
function poolKey(config: PostgresConnectionConfig): string {
  return JSON.stringify(CONNECTION_KEYS.map((key) => config[key] ?? null));
}

/**
 * The pool of a connection config, opened on first use and checked by one round trip so that a wrong host or
 * password fails here (exit 5), before any load is claimed.
 */
export async function acquirePool(config: PostgresConnectionConfig): Promise<PoolHandle> {
  const key = poolKey(config);
  let entry = pools.get(key);
  if (!entry) {
    entry = { pool: openPool(config), users: 0 };
    pools.set(key, entry);
  }
  entry.users++;
  let pool: Pool;
  try {
    pool = await entry.pool;
  } catch (error) {
    if (--entry.users === 0) pools.delete(key);
    throw error;
  }
  let released = false;
  const current = entry;
  return {
    pool,
    async release() {
      if (released) return;
      released = true;
      if (--current.users === 0) {
        pools.delete(key);
        await pool.end();
      }
    },
  };
}

/** Every session runs in UTC with the configured statement timeout. */
async function openPool(config: PostgresConnectionConfig): Promise<Pool> {
  const pg = (await import('pg')).default;
  registerUrlSecret(config.url);
  registerSecret(config.password);
  const ssl = config.ssl;
  const options: PoolConfig = {
    ...(config.url ? { connectionString: config.url } : {}),
    ...(config.host ? { host: config.host } : {}),
    ...(config.port ? { port: config.port } : {}),
    ...(config.database ? { database: config.database } : {}),
    ...(config.user ? { user: config.user } : {}),
    ...(config.password !== undefined ? { password: config.password } : {}),
    ...(ssl === undefined
      ? {}
      : {
          ssl:
            typeof ssl === 'boolean'
              ? ssl
              : {
                  rejectUnauthorized: ssl.reject_unauthorized,
                  ...(ssl.ca ? { ca: ssl.ca } : {}),
                  ...(ssl.cert ? { cert: ssl.cert } : {}),
                  ...(ssl.key ? { key: ssl.key } : {}),
                },
        }),
    max: config.pool_size,
    statement_timeout: config.statement_timeout,
    application_name: 'restlake',
    // JIT compiling a batch's statements took longer than running them (their estimated cost is high).
    options: '-c TimeZone=UTC -c jit=off',
    connectionTimeoutMillis: 30_000,
    keepAlive: true,
    types: typeParser(pg.types),
  };
  const pool = new pg.Pool(options);
  // An idle connection the server closes is dropped by the pool; without a listener the event would crash us.
  pool.on('error', () => {});
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => {});
    throw new RestlakeError(
      'DESTINATION_UNREACHABLE',
      `cannot connect to PostgreSQL at ${describeTarget(config)}: ${(error as Error).message}`,
      { cause: error, kind: 'retry' },
    );
  }
  return pool;
}
