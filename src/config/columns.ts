import { z } from 'zod';
import { jsonPath } from './primitives.js';

/** `resources[].schema`: declared column types. */

const DECIMAL = /^decimal\((\d{1,2}),\s*(\d{1,2})\)$/;
const SCALAR_TYPES = [
  'string',
  'integer',
  'bigint',
  'double',
  'boolean',
  'timestamp',
  'date',
  'json',
] as const;

export const columnType = z.string().check((ctx) => {
  const value = ctx.value;
  if ((SCALAR_TYPES as readonly string[]).includes(value)) return;
  const decimal = DECIMAL.exec(value);
  if (decimal && Number(decimal[1]) <= 38 && Number(decimal[2]) <= Number(decimal[1])) return;
  ctx.issues.push({
    code: 'custom',
    input: value,
    message: `expected one of ${SCALAR_TYPES.join(', ')} or decimal(p,s) with s <= p <= 38, got "${value}"`,
  });
});

export const columnSchema = z.union([
  columnType,
  z.strictObject({
    type: columnType,
    /** Dotted path in the record, when the column is named differently (`from: meta.created`). */
    from: jsonPath.optional(),
  }),
]);

export type ColumnConfig = z.output<typeof columnSchema>;
