import { z } from 'zod';
import { identifier, nonEmpty } from './primitives.js';

/** `destination`: where the tables land. One strict object per `type`. */

export const duckdbDestination = z.strictObject({
  type: z.literal('duckdb'),
  path: nonEmpty.default('./restlake.duckdb'),
  /** Schema of the silver tables. */
  schema: identifier('schema').default('main'),
  /** Schema of the bronze (raw page) tables. */
  bronze_schema: identifier('schema').default('bronze'),
  /** Keep every raw page in bronze; turn off only when storage matters more than replay. */
  bronze: z.boolean().default(true),
});

export const destinationSchema = z.discriminatedUnion('type', [duckdbDestination]);

export type DestinationConfig = z.output<typeof destinationSchema>;
