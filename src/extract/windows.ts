import type { WindowConfig, WindowEvery } from '../config/schema.js';
import { PATTERN_TOKEN } from '../config/window.js';
import type { TemplateValue } from '../core/template.js';

/** One window of a load: `[start, end)` in UTC. A load without a range has one window with no bounds. */
export interface TimeWindow {
  /** Stable name of the window in checkpoints: its start as ISO 8601, or `all` for a load without a range. */
  key: string;
  start: Date | null;
  end: Date | null;
}

export const WHOLE_LOAD = 'all';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Splits `[start, end)` into consecutive half-open windows: each ends exactly where the next starts, so
 * every instant belongs to exactly one window. Calendar units cut at UTC boundaries (the first of the month,
 * Monday 00:00, midnight, the full hour), so the first and last windows may be partial; a fixed length
 * (`7d`) cuts every `length` from the start.
 */
export function planWindows(start: Date, end: Date, every: WindowEvery): TimeWindow[] {
  const windows: TimeWindow[] = [];
  let from = start.getTime();
  const stop = end.getTime();
  while (from < stop) {
    const to = Math.min(nextBoundary(from, every), stop);
    windows.push({ key: new Date(from).toISOString(), start: new Date(from), end: new Date(to) });
    from = to;
  }
  return windows;
}

/** The first boundary strictly after `t`. */
function nextBoundary(t: number, every: WindowEvery): number {
  if ('ms' in every) return t + every.ms;
  const d = new Date(t);
  switch (every.unit) {
    case 'monthly':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    case 'weekly': {
      // ISO weeks start on Monday; getUTCDay() is 0 on Sunday.
      const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
      const daysToMonday = (8 - d.getUTCDay()) % 7 || 7;
      return midnight + daysToMonday * DAY;
    }
    case 'daily':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
    case 'hourly':
      return Math.floor(t / HOUR) * HOUR + HOUR;
  }
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Writes a window bound the way the API wants it (`format`); epoch formats are numbers. */
export function formatInstant(date: Date, format: string): TemplateValue {
  switch (format) {
    case 'iso':
      return date.toISOString();
    case 'epoch_ms':
      return date.getTime();
    case 'epoch_s':
      return Math.floor(date.getTime() / 1000);
    case 'date':
      return date.toISOString().slice(0, 10);
    default:
      return format.replace(PATTERN_TOKEN, (token) => {
        switch (token) {
          case 'YYYY':
            return pad(date.getUTCFullYear(), 4);
          case 'MM':
            return pad(date.getUTCMonth() + 1);
          case 'DD':
            return pad(date.getUTCDate());
          case 'HH':
            return pad(date.getUTCHours());
          case 'mm':
            return pad(date.getUTCMinutes());
          case 'ss':
            return pad(date.getUTCSeconds());
          default:
            return pad(date.getUTCMilliseconds(), 3);
        }
      });
  }
}

/** The smallest step a format can express: an inclusive end bound is the window's end minus this. */
function resolution(format: string): number {
  switch (format) {
    case 'iso':
    case 'epoch_ms':
      return 1;
    case 'epoch_s':
      return 1000;
    case 'date':
      return DAY;
    default: {
      const steps: Record<string, number> = { SSS: 1, ss: 1000, mm: 60_000, HH: HOUR, DD: DAY };
      const tokens = format.match(PATTERN_TOKEN) ?? [];
      return Math.min(...tokens.map((t) => steps[t] ?? DAY));
    }
  }
}

/** `{window.start}` and `{window.end}` of a window, formatted for the request. */
export function windowValues(
  window: TimeWindow,
  config: Pick<WindowConfig, 'format' | 'inclusive_end'> | undefined,
): { 'window.start'?: TemplateValue; 'window.end'?: TemplateValue } {
  if (!window.start || !window.end) return {};
  const format = config?.format ?? 'iso';
  const end = config?.inclusive_end ? new Date(window.end.getTime() - resolution(format)) : window.end;
  return { 'window.start': formatInstant(window.start, format), 'window.end': formatInstant(end, format) };
}
