import { randomUUID } from 'node:crypto';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CellValue } from '../../normalize/types.js';

/**
 * Rows as a CSV file, the bulk format both SQL databases ingest fastest (DuckDB's `read_csv`, PostgreSQL's
 * `COPY ... (FORMAT csv)`): one native parse of a large text instead of one driver call per value. Every
 * string is quoted, so an empty string (`""`) and NULL (nothing) stay distinct in both databases. The first
 * column is the row's position (`_rl_seq`), which keeps "last row wins" deduplication exact.
 *
 * A file rather than memory: a batch is encoded as soon as it closes, while the previous one commits, and
 * then only its file waits for the commit, not its rows.
 */
export interface CsvFile {
  readonly path: string;
  readonly rows: number;
  /** Values that are not null, per column: what `discard_columns` reports as dropped. */
  readonly nonNull: readonly number[];
  delete(): void;
}

const CHUNK_CHARS = 1 << 20;

function cell(value: CellValue | undefined): string {
  if (typeof value === 'string')
    return value.includes('"') ? `"${value.replaceAll('"', '""')}"` : `"${value}"`;
  return String(value);
}

/** Writes `rows` (`width` columns; a shorter row has trailing nulls) to a temporary CSV file. */
export function writeCsvFile(rows: readonly (readonly CellValue[])[], width: number): CsvFile {
  const path = join(tmpdir(), `restlake-${process.pid}-${randomUUID()}.csv`);
  const nonNull = new Array<number>(width).fill(0);
  const fd = openSync(path, 'w');
  try {
    let chunk = '';
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      let line = String(i);
      for (let j = 0; j < width; j++) {
        const value = row[j];
        if (value === null || value === undefined) line += ',';
        else {
          line += `,${cell(value)}`;
          nonNull[j]!++;
        }
      }
      chunk += `${line}\n`;
      if (chunk.length >= CHUNK_CHARS) {
        writeSync(fd, chunk);
        chunk = '';
      }
    }
    if (chunk.length > 0) writeSync(fd, chunk);
  } catch (error) {
    closeSync(fd);
    rmSync(path, { force: true });
    throw error;
  }
  closeSync(fd);
  return { path, rows: rows.length, nonNull, delete: () => rmSync(path, { force: true }) };
}
