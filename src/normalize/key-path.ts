import { compileJsonPath } from '../core/json-path.js';

export type Getter = (record: unknown) => unknown;

/**
 * A reader for a record path. Plain dotted keys (`meta.created`, by far the common case) are read by a loop
 * over the keys, with none of the general evaluator's per-call arrays: it runs once per record per column.
 */
export function getterFor(path: string): Getter {
  if (/[[\]]/.test(path)) {
    const compiled = compileJsonPath(path);
    return (record) => compiled.get(record);
  }
  const keys = path.split('.');
  if (keys.length === 1) {
    const key = keys[0]!;
    return (record) =>
      record !== null && typeof record === 'object' ? (record as Record<string, unknown>)[key] : undefined;
  }
  return (record) => {
    let current = record;
    for (let i = 0; i < keys.length; i++) {
      if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
      current = (current as Record<string, unknown>)[keys[i]!];
    }
    return current;
  };
}
