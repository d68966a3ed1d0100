import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { RestlakeError } from '../../core/errors.js';
import type { Column } from '../../normalize/types.js';
import { quoteIdent } from '../sql/client.js';
import type { RowFile } from '../sql/row-file.js';
import { withoutNul } from './binary-copy.js';
import { type PgTransaction, wrapPgError } from './sql-client.js';
import { postgresTypes } from './types.js';

/**
 * Creates the temporary staging table (`_rl_seq` + one text column per column) in the open transaction and
 * fills it from the batch's CSV file with `COPY ... FROM STDIN`, the bulk path (~2x a multi-row INSERT).
 * Dropped at commit at the latest.
 */
export async function copyStage(
  tx: PgTransaction,
  name: string,
  columns: readonly Column[],
  file: RowFile,
): Promise<void> {
  const table = quoteIdent(name);
  await tx.execute(
    `CREATE TEMP TABLE ${table} (_rl_seq INTEGER, ${columns.map((c) => `${quoteIdent(c.name)} TEXT`).join(', ')}) ON COMMIT DROP`,
  );
  await copyFile(tx, table, file);
}

/**
 * Appends a file's rows (no `_rl_seq`) straight to a table; COPY converts each text to its column's type. A
 * binary file's values are already in its columns' types, which must be the table's (`columns`, as they are in
 * the database): PostgreSQL would read the bytes of one type as another.
 */
export async function copyAppend(
  tx: PgTransaction,
  table: string,
  columns: readonly Column[],
  file: RowFile,
): Promise<void> {
  file.columns?.forEach((encoded, i) => {
    const column = columns[i];
    if (column?.name !== encoded.name || column.type !== encoded.type) {
      throw new RestlakeError(
        'DESTINATION',
        `${table}.${quoteIdent(encoded.name)} is ${column ? postgresTypes.toSql(column.type) : 'missing'} where restlake writes ${postgresTypes.toSql(encoded.type)}; give it that type again (ALTER TABLE ... ALTER COLUMN ... TYPE)`,
        { context: { table, column: encoded.name } },
      );
    }
  });
  await copyFile(tx, `${table} (${columns.map((c) => quoteIdent(c.name)).join(', ')})`, file);
}

/**
 * Read per chunk of the file. The next batch is built on the main thread while this one commits, so each chunk
 * waits for a turn of its event loop: 1 MB chunks made a batch's 16 MB of pages take 16 turns, and a 500k
 * PostgreSQL merge 10% slower than 4 MB ones. 16 MB chunks (one allocation that large per batch) were slower
 * again.
 */
const CHUNK_BYTES = 4 << 20;

/** `COPY target FROM STDIN` fed from the file; the stream's backpressure keeps one chunk in memory at a time. */
async function copyFile(tx: PgTransaction, target: string, file: RowFile): Promise<void> {
  const sql =
    file.format === 'pgcopy'
      ? `COPY ${target} FROM STDIN (FORMAT binary)`
      : `COPY ${target} FROM STDIN (FORMAT csv, QUOTE E'\\x01', ESCAPE E'\\x01')`;
  const chunks = createReadStream(file.path, { highWaterMark: CHUNK_BYTES });
  try {
    await pipeline(
      // A binary file's texts are already without U+0000 (their lengths are part of the file).
      file.format === 'pgcopy' ? chunks : Readable.from(withoutNulChunks(chunks)),
      tx.client.query(copyFrom(sql)),
    );
  } catch (error) {
    throw wrapPgError(error, sql);
  }
}

async function* withoutNulChunks(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) yield withoutNul(chunk);
}
