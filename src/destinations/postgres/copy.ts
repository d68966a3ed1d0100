import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { CellValue, Column } from '../../normalize/types.js';
import { quoteIdent } from '../sql/client.js';
import { type PgTransaction, wrapPgError } from './sql-client.js';

// COPY's text format: tab-separated, `\N` for NULL, and backslash escapes for the four characters that would
// otherwise end a field or a row.
const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const ESCAPE = /[\\\t\n\r]/g;
// PostgreSQL text cannot hold U+0000 at all; the replacement character keeps the rest of the value.
const CHUNK_CHARS = 256 * 1024;

function field(value: CellValue | undefined): string {
  if (value === null || value === undefined) return '\\N';
  let text = typeof value === 'string' ? value : String(value);
  if (text.includes('\u0000')) text = text.replaceAll('\u0000', '\uFFFD');
  return NEEDS_ESCAPE.test(text) ? text.replace(ESCAPE, (c) => ESCAPES[c]!) : text;
}

/** Rows as COPY text, in chunks of about 256 K characters: the stream's backpressure bounds memory. */
function* copyText(rows: readonly CellValue[][], width: number): Generator<string> {
  let chunk = '';
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    let line = String(i);
    for (let j = 0; j < width; j++) line += `\t${field(row[j])}`;
    chunk += `${line}\n`;
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/**
 * Creates the temporary staging table (`_rl_seq` + one text column per column) in the open transaction and
 * fills it with `COPY ... FROM STDIN`, the bulk path (~2x a multi-row INSERT). Dropped at commit at the latest.
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
  const sql = `COPY ${table} FROM STDIN`;
  try {
    await pipeline(Readable.from(copyText(rows, columns.length)), tx.client.query(copyFrom(sql)));
  } catch (error) {
    throw wrapPgError(error, sql);
  }
}
