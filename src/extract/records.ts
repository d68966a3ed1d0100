import { RestlakeError } from '../core/errors.js';
import { compileJsonPath } from '../core/json-path.js';

export type RecordSelector = (body: unknown) => unknown[];

/**
 * Finds the records in a response body. With a path (`data.items[]`), the value there: an array is the
 * records, an object is one record, nothing is an empty page. Without one: a top-level array is the records;
 * an object with exactly one array-valued key holds them there (`{"results": [...], "next": ...}`);
 * any other object is one record.
 */
export function recordSelector(path: string | undefined): RecordSelector {
  if (path === undefined) return autoSelect;
  const compiled = compileJsonPath(path);
  return (body) => {
    const value = compiled.get(body);
    if (value === undefined || value === null) return [];
    if (Array.isArray(value)) return value;
    if (typeof value === 'object') return [value];
    throw new RestlakeError(
      'SELECTOR',
      `records path "${path}" points at a ${typeof value}, not an array or object`,
    );
  };
}

function autoSelect(body: unknown): unknown[] {
  if (body === null || body === undefined) return [];
  if (Array.isArray(body)) return body;
  if (typeof body !== 'object') {
    throw new RestlakeError(
      'SELECTOR',
      `the response is a ${typeof body}, not JSON records; set "records" to their path`,
    );
  }
  const arrays = Object.values(body).filter(Array.isArray);
  return arrays.length === 1 ? (arrays[0] as unknown[]) : [body];
}
