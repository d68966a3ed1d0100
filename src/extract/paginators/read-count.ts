import { RestlakeError } from '../../core/errors.js';
import { stringifyJson } from '../../core/json.js';
import type { JsonPath } from '../../core/json-path.js';

/** A total read from a response body; a value present but not a number means the path is wrong. */
export function readCount(path: JsonPath, body: unknown): number | undefined {
  return toCount(path.get(body), `"${path.text}"`);
}

/** A total read from a response header (`X-Total-Count`). */
export function readCountHeader(name: string, headers: Record<string, string>): number | undefined {
  return toCount(headers[name.toLowerCase()], `header ${name}`);
}

function toCount(value: unknown, where: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const count = typeof value === 'string' ? Number(value) : value;
  if (typeof count !== 'number' || !Number.isFinite(count)) {
    throw new RestlakeError('PAGINATION', `expected a number at ${where}, got ${stringifyJson(value)}`);
  }
  return count;
}

/** A boolean "more pages follow" flag from the body; absent means the other stop rules decide. */
export function readFlag(path: JsonPath, body: unknown): boolean | undefined {
  const value = path.get(body);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') {
    throw new RestlakeError(
      'PAGINATION',
      `expected true or false at "${path.text}", got ${stringifyJson(value)}`,
    );
  }
  return value;
}
