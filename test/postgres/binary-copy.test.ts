import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { writeBinaryCopyFile } from '../../src/destinations/postgres/binary-copy.js';
import { copyAppend } from '../../src/destinations/postgres/copy.js';
import { PgSqlClient, type PgTransaction } from '../../src/destinations/postgres/sql-client.js';
import type { CsvValue } from '../../src/destinations/sql/csv.js';
import type { Column } from '../../src/normalize/types.js';
import { describePg, type FreshDatabase, freshDatabase } from '../support/pg.js';

describePg('PostgreSQL binary COPY (how bronze pages are loaded)', () => {
  let db: FreshDatabase;
  let pool: pg.Pool;
  let sql: PgSqlClient;
  const columns: Column[] = [
    { name: 'label', type: 'string' },
    { name: 'n', type: 'integer' },
    { name: 'big', type: 'bigint' },
    { name: 'at', type: 'timestamp' },
    { name: 'body', type: 'string' },
  ];

  beforeAll(async () => {
    db = await freshDatabase();
    pool = new pg.Pool({ connectionString: db.url });
    sql = new PgSqlClient(pool);
    await db.query(`CREATE TABLE pages (label TEXT, n INTEGER, big BIGINT, at TIMESTAMPTZ, body TEXT)`);
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  const load = async (rows: (readonly CsvValue[])[], into: readonly Column[] = columns) => {
    const file = await writeBinaryCopyFile(rows, columns);
    try {
      await sql.transaction((tx) => copyAppend(tx as PgTransaction, 'pages', into, file));
    } finally {
      file.delete();
    }
    return file;
  };

  test('every value lands as it was: text given as bytes or as a string, the limits of each integer, ms instants, nulls', async () => {
    const file = await load([
      ['bytes', 1, 2, '2024-01-01T00:00:00.000Z', Buffer.from('[{"v":"ünïcødé 🚀"}]')],
      ['limits', -2_147_483_648, 9_007_199_254_740_991, '1999-12-31T23:59:59.999Z', '{"page":2}'],
      ['more', 2_147_483_647, -9_007_199_254_740_991, '2038-01-19T03:14:08.123Z', ''],
      [null, null, null, null, null],
    ]);
    expect(file.nonNull).toEqual([3, 3, 3, 3, 3]);
    const rows = await db.query(
      `SELECT label, n, big::text AS big, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, body
       FROM pages ORDER BY ctid`,
    );
    expect(rows).toEqual([
      { label: 'bytes', n: 1, big: '2', at: '2024-01-01T00:00:00.000Z', body: '[{"v":"ünïcødé 🚀"}]' },
      {
        label: 'limits',
        n: -2_147_483_648,
        big: '9007199254740991',
        at: '1999-12-31T23:59:59.999Z',
        body: '{"page":2}',
      },
      { label: 'more', n: 2_147_483_647, big: '-9007199254740991', at: '2038-01-19T03:14:08.123Z', body: '' },
      { label: null, n: null, big: null, at: null, body: null },
    ]);
    await db.query('TRUNCATE pages');
  });

  test('a U+0000 (which PostgreSQL text cannot hold) lands as U+FFFD, in a string and in bytes alike', async () => {
    await load([['a\u0000b', 1, 1, '2024-01-01T00:00:00Z', Buffer.from('\u0000x\u0000')]]);
    expect(await db.query('SELECT label, body FROM pages')).toEqual([
      { label: 'a\uFFFDb', body: '\uFFFDx\uFFFD' },
    ]);
    await db.query('TRUNCATE pages');
  });

  test('a column whose type is not the one the file was written for stops the COPY, naming the column', async () => {
    const widened = columns.map((c) => (c.name === 'n' ? { ...c, type: 'bigint' as const } : c));
    await expect(load([['x', 1, 1, '2024-01-01T00:00:00Z', 'y']], widened)).rejects.toThrow(
      'pages."n" is BIGINT where restlake writes INTEGER; give it that type again',
    );
    expect(await db.query('SELECT count(*)::int AS n FROM pages')).toEqual([{ n: 0 }]);
  });

  test('a timestamp that does not parse is an error, not a wrong instant', async () => {
    await expect(writeBinaryCopyFile([['x', 1, 1, 'yesterday', 'y']], columns)).rejects.toThrow(
      'not a timestamp: yesterday',
    );
  });
});
