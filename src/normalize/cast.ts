import { stringifyJson } from '../core/json.js';
import { type CellValue, type ColumnType, decimalParts } from './types.js';

/** Thrown by a caster; the normalizer adds the record and column it happened in. */
export class CastFailure extends Error {}

export type Caster = (value: unknown) => CellValue;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
// Date and time, optional fraction, optional zone (Z or ±hh:mm); a space is accepted in place of the T.
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?$/i;
const DECIMAL_TEXT = /^[+-]?(\d+)(?:\.(\d+))?$/;

function fail(value: unknown, type: string): never {
  throw new CastFailure(`cannot cast ${stringifyJson(value)?.slice(0, 100)} to ${type}`);
}

/** Epoch numbers above this are milliseconds, below it seconds (1e11 s is the year 5138). */
const EPOCH_MS_THRESHOLD = 1e11;

/** Where a `YYYY-MM-DDTHH:MM:SS` timestamp has digits. */
const TIMESTAMP_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
const twoDigits = (text: string, at: number) =>
  (text.charCodeAt(at) - 48) * 10 + text.charCodeAt(at + 1) - 48;

/**
 * Whether `text` is a UTC timestamp in the form APIs send most (`2024-01-31T12:00:00Z`, optionally with a
 * fraction), checked char by char: the general check (a regular expression, then Date.parse) cost more than
 * anything else done to a record. Accepts nothing the general check rejects.
 */
function isUtcIsoTimestamp(text: string): boolean {
  const n = text.length;
  if (n < 20 || n > 30 || text.charCodeAt(n - 1) !== 90 /* Z */) return false;
  if (n > 20 && (n === 21 || text.charCodeAt(19) !== 46) /* . */) return false;
  for (let i = 20; i < n - 1; i++) if (!isDigit(text, i)) return false;
  for (const i of TIMESTAMP_DIGITS) if (!isDigit(text, i)) return false;
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  return (
    text.charCodeAt(4) === 45 /* - */ &&
    text.charCodeAt(7) === 45 &&
    text.charCodeAt(10) === 84 /* T */ &&
    text.charCodeAt(13) === 58 /* : */ &&
    text.charCodeAt(16) === 58 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= 31 &&
    twoDigits(text, 11) <= 23 &&
    twoDigits(text, 14) <= 59 &&
    twoDigits(text, 17) <= 59
  );
}

function isDigit(text: string, at: number): boolean {
  const c = text.charCodeAt(at);
  return c >= 48 && c <= 57;
}

function toTimestamp(value: unknown): string {
  if (typeof value === 'string' && isUtcIsoTimestamp(value)) return value;
  if (typeof value === 'number' && Number.isFinite(value)) {
    const date = new Date(Math.abs(value) >= EPOCH_MS_THRESHOLD ? value : value * 1000);
    if (!Number.isNaN(date.getTime())) return date.toISOString();
  }
  if (
    typeof value === 'string' &&
    ISO_TIMESTAMP.test(value) &&
    !Number.isNaN(Date.parse(value.replace(' ', 'T')))
  ) {
    // Without a zone the value is taken as UTC, so that the result never depends on the machine's zone.
    return /(Z|[+-]\d{2}(:?\d{2})?)$/i.test(value) ? value : `${value}Z`;
  }
  if (typeof value === 'string' && ISO_DATE.test(value) && !Number.isNaN(Date.parse(value)))
    return `${value}T00:00:00Z`;
  return fail(value, 'timestamp');
}

function toDate(value: unknown): string {
  if (typeof value === 'string') {
    if (ISO_DATE.test(value) && !Number.isNaN(Date.parse(value))) return value;
    if (ISO_TIMESTAMP.test(value)) return toTimestamp(value).slice(0, 10);
  }
  if (typeof value === 'number') return toTimestamp(value).slice(0, 10);
  return fail(value, 'date');
}

const INT32_MAX = 2_147_483_647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INTEGER_TEXT = /^[+-]?\d+$/;

function integerCaster(type: 'integer' | 'bigint'): Caster {
  const max = type === 'integer' ? INT32_MAX : Number.MAX_SAFE_INTEGER;
  return (value) => {
    const number = typeof value === 'string' && INTEGER_TEXT.test(value.trim()) ? Number(value) : value;
    if (typeof number === 'number' && Number.isInteger(number) && Math.abs(number) <= max) return number;
    if (typeof value === 'boolean') return value ? 1 : 0;
    // Beyond 2^53 a bigint column takes the exact digits, as text: a double would not hold them.
    if (type === 'bigint' && (typeof value === 'bigint' || typeof value === 'string')) {
      const exact = typeof value === 'bigint' ? value : exactInteger(value);
      if (exact !== undefined && exact >= INT64_MIN && exact <= INT64_MAX) return exact.toString();
    }
    return fail(value, type);
  };
}

function exactInteger(text: string): bigint | undefined {
  const trimmed = text.trim();
  return INTEGER_TEXT.test(trimmed) ? BigInt(trimmed) : undefined;
}

function decimalCaster(type: ColumnType, precision: number, scale: number): Caster {
  return (value) => {
    const text =
      (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'bigint'
        ? String(value)
        : value;
    const match = typeof text === 'string' ? DECIMAL_TEXT.exec(text.trim()) : null;
    if (!match) return fail(value, type);
    const integerDigits = match[1]!.replace(/^0+(?=\d)/, '').length;
    if (integerDigits > precision - scale) return fail(value, `${type} (too many digits)`);
    return (text as string).trim();
  };
}

/** Converters from whatever JSON holds to the column's type; each throws CastFailure on a value it cannot take. */
export function casterFor(type: ColumnType): Caster {
  switch (type) {
    case 'string':
      return (value) =>
        typeof value === 'string' ? value : typeof value === 'object' ? stringifyJson(value) : String(value);
    case 'integer':
    case 'bigint':
      return integerCaster(type);
    case 'double':
      return (value) => {
        const number =
          (typeof value === 'string' && value.trim() !== '') || typeof value === 'bigint'
            ? Number(value)
            : value;
        return typeof number === 'number' && Number.isFinite(number) ? number : fail(value, 'double');
      };
    case 'boolean':
      return (value) => {
        if (typeof value === 'boolean') return value;
        if (value === 1 || value === 0) return value === 1;
        if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
        return fail(value, 'boolean');
      };
    case 'timestamp':
      return toTimestamp;
    case 'date':
      return toDate;
    case 'json':
      return stringifyJson;
    default: {
      const decimal = decimalParts(type);
      if (!decimal) throw new Error(`unknown column type ${type}`);
      return decimalCaster(type, decimal.precision, decimal.scale);
    }
  }
}

/** The type a JSON value suggests when nothing is declared; undefined for null (no evidence). */
export function inferType(value: unknown): ColumnType | undefined {
  switch (typeof value) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return Number.isSafeInteger(value) ? 'bigint' : 'double';
    case 'bigint':
      // An integer beyond 2^53 (parseJson keeps it exact): the narrowest type that holds it exactly.
      if (value >= INT64_MIN && value <= INT64_MAX) return 'bigint';
      return String(value).replace('-', '').length <= 38 ? 'decimal(38,0)' : 'string';
    case 'string':
      if (value.length >= 10 && value.length <= 35) {
        if (ISO_TIMESTAMP.test(value) && value.includes(':') && !Number.isNaN(Date.parse(value)))
          return 'timestamp';
        if (ISO_DATE.test(value) && !Number.isNaN(Date.parse(value))) return 'date';
      }
      return 'string';
    case 'object':
      return value === null ? undefined : 'json';
    default:
      return 'string';
  }
}

/**
 * The narrowest type that holds values of both types: integers widen to double, a date to a timestamp,
 * anything else that disagrees to string (never a crash, never a lost value).
 */
export function widen(a: ColumnType, b: ColumnType): ColumnType {
  if (a === b) return a;
  const pair = new Set([a, b]);
  const has = (x: ColumnType, y: ColumnType) => pair.has(x) && pair.has(y);
  if (has('integer', 'bigint')) return 'bigint';
  if (has('integer', 'double') || has('bigint', 'double')) return 'double';
  if (has('date', 'timestamp')) return 'timestamp';
  const da = decimalParts(a);
  const db = decimalParts(b);
  if (da && db) {
    const scale = Math.max(da.scale, db.scale);
    const digits = Math.max(da.precision - da.scale, db.precision - db.scale);
    if (digits + scale <= 38) return `decimal(${digits + scale},${scale})`;
    return 'double';
  }
  // A decimal column meeting integers: a decimal with room for both, while one fits in 38 digits. Meeting
  // doubles (or integers it cannot fit): a double holds both, approximately, as the API sent them.
  const decimal = da ?? db;
  const other = da ? b : a;
  if (decimal && (other === 'integer' || other === 'bigint')) {
    const digits = Math.max(decimal.precision - decimal.scale, other === 'integer' ? 10 : 19);
    if (digits + decimal.scale <= 38) return `decimal(${digits + decimal.scale},${decimal.scale})`;
  }
  if (decimal && (other === 'integer' || other === 'bigint' || other === 'double')) return 'double';
  return 'string';
}
