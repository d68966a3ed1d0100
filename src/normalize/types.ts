/** The column types of silver tables, named as in the pipeline file. */
export type ScalarType =
  | 'string'
  | 'integer'
  | 'bigint'
  | 'double'
  | 'boolean'
  | 'timestamp'
  | 'date'
  | 'json';
export type ColumnType = ScalarType | `decimal(${number},${number})`;

export interface Column {
  name: string;
  type: ColumnType;
}

/** A table as restlake wants it to look: the destination creates or evolves the real one to match. */
export interface TableSchema {
  name: string;
  columns: readonly Column[];
  primaryKey: readonly string[];
}

/**
 * A value ready for a destination: strings for timestamps, dates, decimals and JSON (exact, and parsed by the
 * database itself), numbers, booleans, or null.
 */
export type CellValue = string | number | boolean | null;

/** Rows for one table, positionally aligned with `columns` (a shorter row means trailing nulls). */
export interface RowSet {
  table: TableSchema;
  rows: CellValue[][];
}

export function decimalParts(type: ColumnType): { precision: number; scale: number } | undefined {
  const match = /^decimal\((\d+),\s*(\d+)\)$/.exec(type);
  return match ? { precision: Number(match[1]), scale: Number(match[2]) } : undefined;
}
