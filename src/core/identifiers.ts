import { createHash } from 'node:crypto';

/**
 * Names that end up as SQL identifiers (config ids, resource and table names, columns) are validated against
 * this pattern when the pipeline file is read, and quoted when SQL is written: a name such as
 * `x; DROP TABLE y` is rejected before anything runs.
 */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/**
 * The longest identifier, in bytes, that every destination keeps whole: PostgreSQL cuts longer ones to 63
 * bytes without an error, so a table it created would no longer match the names restlake writes to it.
 */
export const MAX_IDENTIFIER_BYTES = 63;

/** Eight hex digits naming `text`: short, and the same for the same text on every run and machine. */
export function shortHash(text: string): string {
  return createHash('sha1').update(text).digest('hex').slice(0, 8);
}

/**
 * A name derived from data (a flattened key path such as `customer__shipping_address__postal_code`, a
 * prefixed parent key, `<table>__rejected`) made to fit: a longer one keeps its start and ends with a hash of
 * the whole name, so two long names that start alike stay distinct, and each maps to the same name every time.
 */
export function fitIdentifier(name: string): string {
  if (Buffer.byteLength(name) <= MAX_IDENTIFIER_BYTES) return name;
  const suffix = `_${shortHash(name)}`;
  let head = name.slice(0, MAX_IDENTIFIER_BYTES - suffix.length);
  while (Buffer.byteLength(head) > MAX_IDENTIFIER_BYTES - suffix.length) head = head.slice(0, -1);
  return `${head}${suffix}`;
}

/**
 * Column names from API payloads are normalized to snake_case (`createdAt` → `created_at`,
 * `Order ID` → `order_id`) so they can be used unquoted in SQL.
 */
export function toSnakeCase(name: string): string {
  const snake = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/_{3,}/g, '__')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
  if (snake === '') return '_col';
  // A leading underscore is meaningful (`_id` in MongoDB-backed APIs); a leading digit is not allowed.
  return name.startsWith('_') || /^[0-9]/.test(snake) ? `_${snake}` : snake;
}
