/**
 * How deep a record may nest objects and arrays within one another (`{"a":{"b":1}}` is 2 levels). Records
 * from real APIs stay far below it; a deeper one is a broken or hostile response, and loading it would
 * overflow the stack of whatever walks it next (JSON.stringify here, the database's JSON parser later), so
 * the load fails with NESTING_TOO_DEEP instead. Jackson (Java) defaults to the same figure.
 */
export const MAX_DEPTH = 1000;

/**
 * Whether `value` holds at most `levels` levels of objects and arrays (a scalar is 0 levels, `{}` and `[]`
 * are 1). Walks with its own stack, so that a value too deep for the call stack is measured, not crashed on.
 */
export function nestedWithin(value: unknown, levels: number): boolean {
  if (typeof value !== 'object' || value === null) return true;
  const pending: object[] = [value];
  const depths: number[] = [1];
  while (pending.length > 0) {
    const current = pending.pop()!;
    const depth = depths.pop()!;
    if (depth > levels) return false;
    const items: unknown[] = Array.isArray(current) ? current : Object.values(current);
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (typeof item === 'object' && item !== null) {
        pending.push(item);
        depths.push(depth + 1);
      }
    }
  }
  return true;
}

/** A key path short enough for a message: `deep.a.a.a…` rather than a thousand segments. */
export function shortPath(path: string): string {
  const parts = path.split('.');
  return parts.length <= 4 ? path : `${parts.slice(0, 4).join('.')}…`;
}
