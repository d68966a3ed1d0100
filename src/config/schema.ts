import { Cron } from 'croner';
import { z } from 'zod';
import { controlSchema, destinationSchema } from './destination.js';
import { checkExtraction } from './extraction-rules.js';
import { normalizeIssues, tablesOfResource } from './normalize.js';
import { identifier, nonEmpty } from './primitives.js';
import { resourceSchema } from './resource.js';
import { sourceSchema } from './source.js';

/**
 * The pipeline file format, assembled from its sections (source, resources, destination). Every object is
 * strict: an unknown key is an error (a typo such as `primay_key` must not silently do nothing). Defaults live
 * in the sections so that the rest of the code sees complete values.
 */

export { duckdbDestination } from './destination.js';
export { sourceSchema } from './source.js';

export const pipelineSchema = z
  .strictObject({
    id: identifier('id'),
    /** APIName in the control table; the id by default. */
    api: nonEmpty.optional(),
    description: z.string().optional(),
    source: sourceSchema,
    resources: z.array(resourceSchema).min(1, 'at least one resource is required'),
    // Parsed like a written `{ type: duckdb }`, so the defaults live in one place: the destination's schema.
    destination: destinationSchema.prefault({ type: 'duckdb' }),
    /** Where the control and audit tables live; the destination's own database when omitted. */
    control: controlSchema.optional(),
    schedule: z
      .strictObject({
        /** Five- or six-field cron expression, evaluated in UTC: `0 2 * * *` is every day at 02:00 UTC. */
        cron: nonEmpty.check((ctx) => {
          try {
            new Cron(ctx.value, { paused: true, timezone: 'UTC' });
          } catch (error) {
            ctx.issues.push({
              code: 'custom',
              input: ctx.value,
              message: `invalid cron expression: ${(error as Error).message}`,
            });
          }
        }),
      })
      .optional(),
    /** Rows (and raw pages) buffered before one commit; larger batches load faster, smaller ones use less memory. */
    batch_size: z.number().int().min(1).max(10_000_000).default(100_000),
  })
  .superRefine((config, ctx) => {
    checkExtraction(config, ctx);
    const seen = new Map<string, number>();
    config.resources.forEach((resource, index) => {
      for (const { table, path } of tablesOfResource(resource)) {
        const first = seen.get(table);
        if (first !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['resources', index, ...path],
            message: `table "${table}" is already written by resources[${first}]`,
          });
        } else seen.set(table, index);
      }
      for (const issue of normalizeIssues(resource))
        ctx.addIssue({ code: 'custom', path: ['resources', index, ...issue.path], message: issue.message });
      if (resource.write === 'merge' && !resource.primary_key) {
        ctx.addIssue({
          code: 'custom',
          path: ['resources', index, 'primary_key'],
          message: 'write: merge needs a primary_key (the columns that identify a record)',
        });
      }
    });
  });

export type PipelineConfig = z.output<typeof pipelineSchema>;
export type PipelineInput = z.input<typeof pipelineSchema>;
export type { AuthConfig } from './auth.js';
export type { ColumnConfig } from './columns.js';
export type { ControlConfig, DestinationConfig, PostgresConnectionConfig } from './destination.js';
export type { PaginatorConfig, PaginatorType, ParamLocation } from './paginator.js';
export type { ResourceConfig, WriteDisposition } from './resource.js';
export type { RetryConfig, SourceConfig } from './source.js';
export type { WindowConfig, WindowEvery } from './window.js';
