import { z } from 'zod';
import { parseDuration } from '../core/duration.js';
import { IDENTIFIER } from '../core/identifiers.js';
import { jsonPathProblem } from '../core/json-path.js';

/** Building blocks shared by the sections of the pipeline file schema. */

export const identifier = (what: string) =>
  z
    .string()
    .regex(
      IDENTIFIER,
      `${what} must start with a letter or _ and contain only letters, digits and _ (max 63)`,
    );

/** `30s`, `5m`, `1h`, or a number of milliseconds. */
export const duration = z.union([z.number().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a duration such as 500ms, 30s, 5m, 1h or 7d, got "${value}"`,
    });
    return z.NEVER;
  }
  return ms;
});

export const nonEmpty = z.string().min(1, 'must not be empty');
/** A body path such as `data.items[]` or `meta.next_cursor`. */
export const jsonPath = nonEmpty.check((ctx) => {
  const problem = jsonPathProblem(ctx.value);
  if (problem) ctx.issues.push({ code: 'custom', input: ctx.value, message: problem });
});
export const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** An ISO 8601 timestamp with a zone (`2024-01-01T00:00:00Z`). */
export const isoTimestamp = z.iso.datetime({
  offset: true,
  error: 'expected an ISO 8601 timestamp such as 2024-01-01T00:00:00Z',
});
