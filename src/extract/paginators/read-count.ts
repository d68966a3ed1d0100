import { RestlakeError } from '../../core/errors.js';
import type { JsonPath } from '../../core/json-path.js';

/** A total read from a response body; a value present but not a number means the path is wrong. */
export function readCount(path: JsonPath, body: unknown): number | undefined {
  const value = path.get(body);
  if (value === undefined || value === null) return undefined;
  const count = typeof value === 'string' ? Number(value) : value;
  if (typeof count !== 'number' || !Number.isFinite(count)) {
    throw new RestlakeError(
      'PAGINATION',
      `expected a number at "${path.text}", got ${JSON.stringify(value)}`,
    );
  }
  return count;
}
