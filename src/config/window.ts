import { z } from 'zod';
import { parseDuration } from '../core/duration.js';
import { isoTimestamp } from './primitives.js';

/** `resources[].window`: how a load's time range is split into the windows requested one by one. */

export const CALENDAR_UNITS = ['monthly', 'weekly', 'daily', 'hourly'] as const;
export const WINDOW_FORMATS = ['iso', 'epoch_s', 'epoch_ms', 'date'] as const;
/** Tokens of a `format` pattern, all in UTC. */
export const PATTERN_TOKEN = /YYYY|MM|DD|HH|mm|ss|SSS/g;

/** A calendar unit, or a fixed length in milliseconds. */
export type WindowEvery = { unit: (typeof CALENDAR_UNITS)[number] } | { ms: number };

const every = z.string().transform((text, ctx): WindowEvery => {
  if ((CALENDAR_UNITS as readonly string[]).includes(text)) {
    return { unit: text as (typeof CALENDAR_UNITS)[number] };
  }
  const ms = parseDuration(text);
  if (ms === undefined || ms < 60_000 || !Number.isInteger(ms)) {
    ctx.addIssue({
      code: 'custom',
      message: `expected ${CALENDAR_UNITS.join(', ')} or a length of at least a minute such as 7d, 6h or 15m, got "${text}"`,
    });
    return z.NEVER;
  }
  return { ms };
});

const format = z.string().check((ctx) => {
  if ((WINDOW_FORMATS as readonly string[]).includes(ctx.value)) return;
  PATTERN_TOKEN.lastIndex = 0;
  if (!PATTERN_TOKEN.test(ctx.value)) {
    ctx.issues.push({
      code: 'custom',
      input: ctx.value,
      message: `expected ${WINDOW_FORMATS.join(', ')} or a pattern with YYYY, MM, DD, HH, mm, ss, SSS (UTC), got "${ctx.value}"`,
    });
  }
});

export const windowSchema = z.strictObject({
  every,
  /** How `{window.start}` / `{window.end}` are written into the request. */
  format: format.default('iso'),
  /** Windows of one load fetched at once (never more than the source's `max_concurrency`). */
  concurrency: z.number().int().min(1).max(64).default(1),
  /**
   * Where a full-refresh resource's range starts (an incremental resource starts at `incremental.start`);
   * the range ends when the load is first claimed.
   */
  start: isoTimestamp.optional(),
  /** The API's end bound is inclusive: `{window.end}` is the last instant inside the window (one unit of the format less). */
  inclusive_end: z.boolean().default(false),
});

export type WindowConfig = z.output<typeof windowSchema>;
