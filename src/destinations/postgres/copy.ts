import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { Column } from '../../normalize/types.js';
import { quoteIdent } from '../sql/client.js';
import type { CsvFile } from '../sql/csv.js';
import { type PgTransaction, wrapPgError } from './sql-client.js';

const NUL = 0;
const REPLACEMENT = Buffer.from('\uFFFD');

/**
 * PostgreSQL text cannot hold U+0000 at all; the replacement character keeps the rest of the value. Done on
 * the file's bytes (in UTF-8 a zero byte is only ever U+0000), so the text is never decoded on its way.
 */
async function* withoutNul(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    if (chunk.indexOf(NUL) < 0) {
      yield chunk;
      continue;
    }
    const parts: Buffer[] = [];
    let from = 0;
    for (let at = chunk.indexOf(NUL); at >= 0; at = chunk.indexOf(NUL, from)) {
      parts.push(chunk.subarray(from, at), REPLACEMENT);
      from = at + 1;
    }
    parts.push(chunk.subarray(from));
    yield Buffer.concat(parts);
  }
}

/**
 * Creates the temporary staging table (`_rl_seq` + one text column per column) in the open transaction and
 * fills it from the batch's CSV file with `COPY ... FROM STDIN`, the bulk path (~2x a multi-row INSERT).
 * Dropped at commit at the latest.
 */
export async function copyStage(
  tx: PgTransaction,
  name: string,
  columns: readonly Column[],
  file: CsvFile,
): Promise<void> {
  const table = quoteIdent(name);
  await tx.execute(
    `CREATE TEMP TABLE ${table} (_rl_seq INTEGER, ${columns.map((c) => `${quoteIdent(c.name)} TEXT`).join(', ')}) ON COMMIT DROP`,
  );
  await copyFile(tx, table, file);
}

/** Appends a file's rows (no `_rl_seq`) straight to a table; COPY converts each text to its column's type. */
export async function copyAppend(
  tx: PgTransaction,
  table: string,
  columns: readonly Column[],
  file: CsvFile,
): Promise<void> {
  await copyFile(tx, `${table} (${columns.map((c) => quoteIdent(c.name)).join(', ')})`, file);
}

/** `COPY target FROM STDIN` fed from the file; the stream's backpressure keeps one chunk in memory at a time. */
async function copyFile(tx: PgTransaction, target: string, file: CsvFile): Promise<void> {
  const sql = `COPY ${target} FROM STDIN (FORMAT csv, QUOTE E'\\x01', ESCAPE E'\\x01')`;
  try {
    await pipeline(
      Readable.from(withoutNul(createReadStream(file.path, { highWaterMark: 1 << 20 }))),
      tx.client.query(copyFrom(sql)),
    );
  } catch (error) {
    throw wrapPgError(error, sql);
  }
}
