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
