import type { CellValue } from './types.js';

/*
 * A batch's rows of earlier pages, held as text. A batch keeps its rows until it closes (tens of thousands of
 * arrays and their strings), and each young-generation collection copied every one of them, then promoted
 * them: 15% of the main thread in a 500k merge. Packed after their page, they are one flat string per page,
 * which the collector never copies, and the text is the CSV cells the load writes anyway.
 */

/**
 * The CSV quote (and escape) character: U+0001 rather than `"`, which JSON text (bronze pages, json columns)
 * is full of. Doubling every `"` of a page cost more than parsing it; U+0001 is all but absent from real
 * data, and doubled where it occurs. Both databases take it as their CSV quote.
 */
export const CSV_QUOTE = '\u0001';
const QUOTE_CODE = 1;

/**
 * A value as a CSV cell: a string quoted (so that an empty string and NULL, nothing, stay distinct), a number
 * or a boolean as it prints, which reads back as the same value.
 */
export function cell(value: CellValue): string {
  if (typeof value === 'string')
    return value.includes(CSV_QUOTE)
      ? `${CSV_QUOTE}${value.replaceAll(CSV_QUOTE, CSV_QUOTE + CSV_QUOTE)}${CSV_QUOTE}`
      : `${CSV_QUOTE}${value}${CSV_QUOTE}`;
  return String(value);
}

export interface PackedRows {
  /** Each row's `width` cells joined by commas, one row after another with nothing between. */
  readonly text: string;
  /** Where each row's text ends in `text`; it starts where the one before ends. */
  readonly ends: Int32Array;
  readonly width: number;
  /** Values that are not null, per column. */
  readonly nonNull: readonly number[];
  /** The rows' values of the columns at `keyIndexes` (given to `packRows`), one array per column. */
  readonly keys: readonly (readonly CellValue[])[];
}

/** Packs rows of `width` columns (a shorter row has trailing nulls). */
export function packRows(
  rows: readonly (readonly (CellValue | undefined)[])[],
  width: number,
  keyIndexes: readonly number[],
): PackedRows {
  const lines: string[] = new Array(rows.length);
  const ends = new Int32Array(rows.length);
  const nonNull = new Array<number>(width).fill(0);
  let length = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    let line = '';
    for (let j = 0; j < width; j++) {
      if (j > 0) line += ',';
      const value = row[j];
      if (value !== null && value !== undefined) {
        nonNull[j]!++;
        line += cell(value);
      }
    }
    lines[i] = line;
    length += line.length;
    ends[i] = length;
  }
  const keys = keyIndexes.map((index) => rows.map((row) => row[index] ?? null));
  // join makes one flat string; a text built by `+=` would be a tree of pieces, each one an object.
  return { text: lines.join(''), ends, width, nonNull, keys };
}

/** The rows again, each value as it was (a null or a missing one as null). */
export function unpackRows({ text, ends, width }: PackedRows): CellValue[][] {
  const rows: CellValue[][] = new Array(ends.length);
  let at = 0;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i]!;
    const row: CellValue[] = new Array(width);
    for (let j = 0; j < width; j++) {
      if (j > 0) at++; // the comma
      if (at < end && text.charCodeAt(at) === QUOTE_CODE) {
        let value = '';
        let from = at + 1;
        for (;;) {
          const quote = text.indexOf(CSV_QUOTE, from);
          // A doubled quote inside the value (the value's closing quote is followed by a comma or its row's end).
          if (quote + 1 < end && text.charCodeAt(quote + 1) === QUOTE_CODE) {
            value += text.slice(from, quote + 1);
            from = quote + 2;
            continue;
          }
          value += text.slice(from, quote);
          at = quote + 1;
          break;
        }
        row[j] = value;
      } else {
        let comma = text.indexOf(',', at);
        if (comma < 0 || comma > end) comma = end;
        const token = text.slice(at, comma);
        row[j] = token === '' ? null : token === 'true' ? true : token === 'false' ? false : Number(token);
        at = comma;
      }
    }
    rows[i] = row;
    at = end;
  }
  return rows;
}
