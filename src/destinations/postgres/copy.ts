import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { CellValue, Column } from '../../normalize/types.js';
import { quoteIdent } from '../sql/client.js';
import { csvChunks } from '../sql/csv.js';
import { type PgTransaction, wrapPgError } from './sql-client.js';

/** PostgreSQL text cannot hold U+0000 at all; the replacement character keeps the rest of the value. */
function* withoutNul(chunks: Iterable<string>): Generator<string> {
  for (const chunk of chunks) yield chunk.includes('\u0000') ? chunk.replaceAll('\u0000', '\uFFFD') : chunk;
}

/**
 * Creates the temporary staging table (`_rl_seq` + one text column per column) in the open transaction and
 * fills it with `COPY ... FROM STDIN` in CSV, the bulk path (~2x a multi-row INSERT). The stream's
 * backpressure keeps one chunk in memory at a time. Dropped at commit at the latest.
 */
export async function copyStage(
  tx: PgTransaction,
  name: string,
  columns: readonly Column[],
  rows: readonly CellValue[][],
): Promise<void> {
  const table = quoteIdent(name);
  await tx.execute(
    `CREATE TEMP TABLE ${table} (_rl_seq INTEGER, ${columns.map((c) => `${quoteIdent(c.name)} TEXT`).join(', ')}) ON COMMIT DROP`,
  );
  const sql = `COPY ${table} FROM STDIN (FORMAT csv)`;
  try {
    await pipeline(
      Readable.from(withoutNul(csvChunks(rows, columns.length))),
      tx.client.query(copyFrom(sql)),
    );
  } catch (error) {
    throw wrapPgError(error, sql);
  }
}
