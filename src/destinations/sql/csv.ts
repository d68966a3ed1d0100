import { CSV_QUOTE, cell, type PackedRows } from '../../normalize/packed-rows.js';
import type { CellValue } from '../../normalize/types.js';
import { type RowFile, writeRowFile } from './row-file.js';

export { CSV_QUOTE };

/*
 * Rows as CSV, the bulk format both SQL databases ingest fastest from text (DuckDB's `read_csv`, PostgreSQL's
 * `COPY ... (FORMAT csv)`): one native parse of a large text instead of one driver call per value. Every
 * string is quoted, so an empty string and NULL (nothing) stay distinct in both databases. Rows the database
 * deduplicates are led by their position (`_rl_seq`), which keeps "last row wins" exact; rows loaded straight
 * into their table end with the load's metadata values instead, so the file is exactly the table's columns.
 */

/**
 * Text written per chunk. Each chunk is an asynchronous write, which also hands the event loop back: encoding
 * a batch in one synchronous stretch would hold up the commit running meanwhile (its every statement needs
 * the main thread to go on), which cost more than the overlap gained. Under 128 KB even as two-byte text:
 * writing flattens the chunk into one string, and a string larger than that is one of V8's large objects,
 * each mapped afresh and costing a young-generation collection (1 MB chunks took twice as long to write).
 */
const CHUNK_CHARS = 60_000;

/**
 * A value of a CSV file: a cell of a row, or text given as its UTF-8 bytes (a bronze page as it came), which
 * are written as they are rather than decoded and encoded again.
 */
export type CsvValue = CellValue | Buffer;

const QUOTE_BYTE = 1;

export interface CsvLayout {
  /** Lead each row with its position (`_rl_seq`), for rows the database deduplicates; default true. */
  sequence?: boolean;
  /** Values ending every row (a load's metadata columns), for rows loaded straight into their table. */
  constants?: readonly string[];
}

/**
 * Writes `packed` and then `rows` (`width` columns; a shorter row has trailing nulls) to a temporary CSV file,
 * laid out as `layout` says.
 */
export async function writeCsvFile(
  rows: readonly (readonly CsvValue[])[],
  width: number,
  { sequence = true, constants = [] }: CsvLayout = {},
  packed: readonly PackedRows[] = [],
): Promise<RowFile> {
  const nonNull = new Array<number>(width).fill(0);
  const tail = constants.map(cell).join(',');
  const end = tail === '' ? '\n' : `${width > 0 ? ',' : ''}${tail}\n`;
  return writeRowFile('csv', async (file) => {
    let chunk = '';
    let seq = 0;
    // Packed rows are already cells: each is framed (its position, the nulls of columns that came after it
    // was packed, the metadata values) rather than encoded again.
    for (const { text, ends, width: packedWidth, nonNull: counts } of packed) {
      counts.forEach((n, j) => {
        nonNull[j]! += n;
      });
      const padding = ','.repeat(packedWidth === 0 ? Math.max(0, width - 1) : width - packedWidth);
      for (let i = 0, start = 0; i < ends.length; start = ends[i]!, i++) {
        chunk += `${sequence ? `${seq++},` : ''}${text.slice(start, ends[i])}${padding}${end}`;
        if (chunk.length >= CHUNK_CHARS) {
          await file.write(chunk);
          chunk = '';
        }
      }
    }
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (sequence) chunk += `${seq++},`;
      for (let j = 0; j < width; j++) {
        const value = row[j];
        if (j > 0) chunk += ',';
        if (value !== null && value !== undefined) {
          nonNull[j]!++;
          if (!Buffer.isBuffer(value)) chunk += cell(value);
          else if (value.includes(QUOTE_BYTE)) chunk += cell(value.toString('utf8'));
          else {
            await file.write(chunk + CSV_QUOTE);
            await file.write(value);
            chunk = CSV_QUOTE;
          }
        }
      }
      chunk += end;
      if (chunk.length >= CHUNK_CHARS) {
        await file.write(chunk);
        chunk = '';
      }
    }
    if (chunk.length > 0) await file.write(chunk);
    return { rows: packed.reduce((n, p) => n + p.ends.length, rows.length), nonNull };
  });
}
