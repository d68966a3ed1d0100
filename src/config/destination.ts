import { z } from 'zod';
import { duration, identifier, nonEmpty } from './primitives.js';

/** `destination`: where the tables land; `control`: where the control plane lives. One strict object per `type`. */

export const duckdbDestination = z.strictObject({
  type: z.literal('duckdb'),
  path: nonEmpty.default('./restlake.duckdb'),
  /** Schema of the silver tables. */
  schema: identifier('schema').default('main'),
  /** Schema of the bronze (raw page) tables. */
  bronze_schema: identifier('schema').default('bronze'),
  /** Keep every raw page in bronze; turn off only when storage matters more than replay. */
  bronze: z.boolean().default(true),
  /**
   * Memory DuckDB may use for its own work before it spills to disk; the rest of the process (one batch being
   * built) comes on top. Unset: DuckDB's own default, 80% of the machine's memory. A limit must hold the raw
   * pages of one bronze row group (2,048 pages), which DuckDB rewrites whole when it checkpoints: with less,
   * the checkpoint fails and DuckDB stops the database.
   */
  memory_limit: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'expected a size such as 256MB or 2GB')
    .optional(),
  /**
   * `fast` leaves out DuckDB's FSST string compression, whose symbol tables cost more of a load than any other
   * part of writing the file (a 1M-record merge ran 13% faster without); string columns with many distinct
   * values take more room (about 40% in the benchmark's silver table). `small`: every method DuckDB has.
   */
  compression: z.enum(['fast', 'small']).default('fast'),
});

const pgSsl = z.union([
  z.boolean(),
  z.strictObject({
    /** Verify the server's certificate against `ca` (or the system's roots). Turn off only for testing. */
    reject_unauthorized: z.boolean().default(true),
    /** PEM text of the CA certificate(s), usually `${file:./ca.pem}`. */
    ca: nonEmpty.optional(),
    /** PEM client certificate and key, for certificate authentication. */
    cert: nonEmpty.optional(),
    key: nonEmpty.optional(),
  }),
]);

/** How to reach a PostgreSQL server: a connection string, or its parts. */
const pgConnectionShape = {
  /** `postgres://user:password@host:5432/database?sslmode=require`; exclusive with the discrete fields. */
  url: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// connection string')
    .optional(),
  host: nonEmpty.optional(),
  port: z.number().int().min(1).max(65_535).optional(),
  database: nonEmpty.optional(),
  user: nonEmpty.optional(),
  password: z.string().optional(),
  ssl: pgSsl.optional(),
  /** Longest a single statement may run before the server cancels it. */
  statement_timeout: duration.default(600_000),
  /** Connections this process opens at most (loads of one process share them). */
  pool_size: z.number().int().min(1).max(100).default(10),
};

function oneWayToConnect(
  value: { url?: string | undefined; host?: string | undefined; database?: string | undefined },
  ctx: z.core.$RefinementCtx,
) {
  if (value.url && (value.host || value.database)) {
    ctx.addIssue({
      code: 'custom',
      path: [value.host ? 'host' : 'database'],
      message: 'give either url or host/database, not both',
    });
  } else if (!value.url && !value.database) {
    ctx.addIssue({
      code: 'custom',
      path: ['url'],
      message: 'required: a url (postgres://user@host/database), or host and database',
    });
  }
}

export const postgresDestination = z
  .strictObject({
    type: z.literal('postgres'),
    ...pgConnectionShape,
    /** Schema of the silver tables. */
    schema: identifier('schema').default('public'),
    bronze_schema: identifier('schema').default('bronze'),
    bronze: z.boolean().default(true),
  })
  .superRefine(oneWayToConnect);

export const destinationSchema = z.discriminatedUnion('type', [duckdbDestination, postgresDestination]);

/**
 * `control`: where metadata.api_control_table and metadata.api_audit_table live, when not in the
 * destination's database: one PostgreSQL for a fleet of workers, whatever their destinations.
 */
export const controlSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('duckdb'), path: nonEmpty }),
  z.strictObject({ type: z.literal('postgres'), ...pgConnectionShape }).superRefine(oneWayToConnect),
]);

export type DestinationConfig = z.output<typeof destinationSchema>;
export type PostgresConnectionConfig = Omit<
  z.output<typeof postgresDestination>,
  'type' | 'schema' | 'bronze_schema' | 'bronze'
>;
export type ControlConfig = z.output<typeof controlSchema>;
