import type { PackedRows } from './packed-rows.js';
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
  /** The record key path the column's values come from (`address.zipCode`), recorded in the schema history. */
  source?: string;
  /** A column restlake adds (page number, window); created after the data columns. */
  metadata?: boolean;
}

/** A table as restlake wants it to look: the destination creates or evolves the real one to match. */
export interface TableSchema {
  name: string;
  columns: readonly Column[];
  primaryKey: readonly string[];
  /**
   * Child tables: the columns holding the top-level record's primary key, aligned with the parent table's
   * `primaryKey`. A merge deletes the rows of every merged parent by them before inserting the new ones.
   */
  rootKey?: readonly string[];
  /** Rows are appended to the table itself whatever the load's disposition (the rejected-records table). */
  appendOnly?: boolean;
}

/** What a page contributes to each of its rows besides its records. */
export interface PageContext {
  /** 0-based position of the page in its stream. */
  page: number;
  /** The run that fetched the page: keys of child rows of tables without a primary key derive from it. */
  runId: string;
  /** The load's window `[start, end)` (ISO), when it has one. */
  window?: { start: string | null; end: string | null } | undefined;
}

/**
 * A value ready for a destination: strings for timestamps, dates, decimals and JSON (exact, and parsed by the
 * database itself), numbers, booleans, or null.
 */
export type CellValue = string | number | boolean | null;

/** Rows for one table, positionally aligned with `columns` (a shorter row means trailing nulls). */
export interface RowSet {
  table: TableSchema;
  /** Rows of the batch's earlier pages, packed as text (see packed-rows.ts), in order before `rows`. */
  packed?: PackedRows[];
  rows: CellValue[][];
  /** No two rows share a primary key: a merge need not deduplicate the batch first. */
  uniqueKeys?: boolean;
}

export function decimalParts(type: ColumnType): { precision: number; scale: number } | undefined {
  const match = /^decimal\((\d+),\s*(\d+)\)$/.exec(type);
  return match ? { precision: Number(match[1]), scale: Number(match[2]) } : undefined;
}
