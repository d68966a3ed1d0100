import type { CellValue } from '../../normalize/types.js';

/**
 * Rows as CSV text, the bulk format both SQL databases ingest fastest (DuckDB's `read_csv`, PostgreSQL's
 * `COPY ... (FORMAT csv)`): one native parse of a large text instead of one driver call per value. Every
 * string is quoted, so an empty string (`""`) and NULL (nothing) stay distinct in both databases. The first
 * column is the row's position (`_rl_seq`), which keeps "last row wins" deduplication exact.
 */

const CHUNK_CHARS = 1 << 20;

function cell(value: CellValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string')
    return value.includes('"') ? `"${value.replaceAll('"', '""')}"` : `"${value}"`;
  return String(value);
}

/** The rows as CSV, in chunks of about 1 MB (a batch can be hundreds of MB; it is never one string). */
export function* csvChunks(rows: readonly (readonly CellValue[])[], width: number): Generator<string> {
  let chunk = '';
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    let line = String(i);
    for (let j = 0; j < width; j++) line += `,${cell(row[j])}`;
    chunk += `${line}\n`;
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}
