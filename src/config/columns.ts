import { z } from 'zod';
import { CastFailure, casterFor } from '../normalize/cast.js';
import type { ColumnType } from '../normalize/types.js';
import { jsonPath, scalar } from './primitives.js';

/** `resources[].schema`: declared column types, and how a value that does not fit them is handled. */

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
  z
    .strictObject({
      type: columnType,
      /** Dotted path in the record, when the column is named differently (`from: meta.created`). */
      from: jsonPath.optional(),
      /** A record without a value here is rejected (see `on_cast_error`). */
      required: z.boolean().default(false),
      /** The value used when the record has none; it must cast to the column's type. */
      default: scalar.optional(),
    })
    .check((ctx) => {
      const { type, default: fallback } = ctx.value;
      if (fallback === undefined) return;
      // Checked here, not at load time, so `restlake validate` catches a default that could never be stored.
      try {
        casterFor(type as ColumnType)(fallback);
      } catch (error) {
        // Anything else is an invalid `type`, reported by its own check.
        if (error instanceof CastFailure)
          ctx.issues.push({ code: 'custom', input: fallback, path: ['default'], message: error.message });
      }
    }),
]);

export type ColumnConfig = z.output<typeof columnSchema>;
