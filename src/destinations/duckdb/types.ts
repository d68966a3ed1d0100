import { type ColumnType, decimalParts } from '../../normalize/types.js';
import type { SqlTypeMap } from '../sql/client.js';
import { quoteIdent } from '../sql/client.js';

const TO_SQL: Record<string, string> = {
  string: 'VARCHAR',
  integer: 'INTEGER',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMPTZ',
  date: 'DATE',
  json: 'JSON',
};

const FROM_SQL: Record<string, ColumnType> = {
  VARCHAR: 'string',
  INTEGER: 'integer',
  BIGINT: 'bigint',
  DOUBLE: 'double',
  BOOLEAN: 'boolean',
  'TIMESTAMP WITH TIME ZONE': 'timestamp',
  DATE: 'date',
  JSON: 'json',
};

export const duckdbTypes: SqlTypeMap = {
  toSql(type) {
    const decimal = decimalParts(type);
    return decimal ? `DECIMAL(${decimal.precision},${decimal.scale})` : (TO_SQL[type] ?? 'VARCHAR');
  },
  fromSql(dataType) {
    const decimal = /^DECIMAL\((\d+),(\d+)\)$/.exec(dataType);
    if (decimal) return `decimal(${Number(decimal[1])},${Number(decimal[2])})`;
    return FROM_SQL[dataType];
  },
  alterType(table, column, type) {
    return `ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(column)} SET DATA TYPE ${this.toSql(type)}`;
  },
};
