import { type ColumnType, decimalParts } from '../../normalize/types.js';
import { quoteIdent, type SqlTypeMap } from '../sql/client.js';

const TO_SQL: Record<string, string> = {
  string: 'TEXT',
  integer: 'INTEGER',
  bigint: 'BIGINT',
  double: 'DOUBLE PRECISION',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMPTZ',
  date: 'DATE',
  // JSON, not JSONB: it keeps a raw page exactly as the API sent it and accepts every valid document (JSONB
  // rejects a "\u0000" escape). Cast to jsonb in a query when you need its operators.
  json: 'JSON',
};

/** information_schema.columns.data_type → restlake type. */
const FROM_SQL: Record<string, ColumnType> = {
  text: 'string',
  'character varying': 'string',
  integer: 'integer',
  bigint: 'bigint',
  'double precision': 'double',
  boolean: 'boolean',
  'timestamp with time zone': 'timestamp',
  date: 'date',
  json: 'json',
  jsonb: 'json',
};

export const postgresTypes: SqlTypeMap = {
  toSql(type) {
    const decimal = decimalParts(type);
    return decimal ? `NUMERIC(${decimal.precision},${decimal.scale})` : (TO_SQL[type] ?? 'TEXT');
  },
  fromSql(dataType, precision, scale) {
    if (dataType === 'numeric' && precision !== null && scale !== null)
      return `decimal(${precision},${scale})`;
    return FROM_SQL[dataType];
  },
  alterType(table, column, type) {
    // PostgreSQL needs the conversion spelled out for some widenings (json → text, date → timestamptz).
    const sql = this.toSql(type);
    return `ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(column)} TYPE ${sql} USING ${quoteIdent(column)}::${sql}`;
  },
};
