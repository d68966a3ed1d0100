/**
 * Every secret value resolved from a pipeline file (`${env:...}`, `${file:...}`) or obtained at run time
 * (OAuth2 access tokens, signed JWTs) is registered here, and every string that leaves the process through a
 * log line, an error, a bronze row or an audit row passes through `redact`. Redacting by value rather than by
 * key name also catches a token that an API echoes back in an error body.
 */

const MASK = '***';
// Shorter values would mask ordinary text everywhere ("ab" in every word) and protect nothing.
const MIN_SECRET_LENGTH = 4;

const secrets = new Set<string>();
let pattern: RegExp | undefined;

export function registerSecret(value: string | undefined): void {
  if (!value || value.length < MIN_SECRET_LENGTH || secrets.has(value)) return;
  secrets.add(value);
  // The URL-encoded and base64 forms leak too: a key in a query string, a password inside basic auth; and the
  // forms a JSON text holds it in (quotes and backslashes escaped, and `/` as `\/` for APIs that escape it).
  const json = JSON.stringify(value).slice(1, -1);
  for (const variant of [
    encodeURIComponent(value),
    Buffer.from(value).toString('base64'),
    json,
    json.replaceAll('/', '\\/'),
  ]) {
    if (variant.length >= MIN_SECRET_LENGTH) secrets.add(variant);
  }
  pattern = undefined;
}

export function redact(text: string): string {
  if (secrets.size === 0 || text.length === 0) return text;
  pattern ??= new RegExp(
    [...secrets]
      .sort((a, b) => b.length - a.length)
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('|'),
    'g',
  );
  return text.replace(pattern, MASK);
}

/** Redacts every string inside a JSON-like value (for request metadata and error context). */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v)])) as T;
  }
  return value;
}
