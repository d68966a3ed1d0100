/**
 * The small path language of pipeline files: `meta.next_cursor`, `data.items[]`, `results[0].items`,
 * `data[].lines[]`. A `[]` spreads an array, so a path with one evaluates to a list. Compiled once per
 * resource, evaluated per page.
 */

type Segment = { key: string } | { index: number } | { spread: true };

export interface JsonPath {
  readonly text: string;
  /** The value at the path, or undefined when any step is missing. With `[]`, an array of every match. */
  get(value: unknown): unknown;
}

// A key (anything but `.`, `[` and `]`), then any number of `[n]` / `[]`; keys joined by single dots.
const KEY = /[^.[\]]+/y;
const BRACKET = /\[(\d*)\]/y;

export function parseJsonPath(text: string): Segment[] {
  const segments: Segment[] = [];
  let position = 0;
  const fail = (): never => {
    throw new Error(`invalid path "${text}" at character ${position + 1} (expected a.b, a[0].b or a[].b)`);
  };
  while (position < text.length) {
    if (segments.length > 0) {
      BRACKET.lastIndex = position;
      const bracket = BRACKET.exec(text);
      if (bracket) {
        segments.push(bracket[1] === '' ? { spread: true } : { index: Number(bracket[1]) });
        position = BRACKET.lastIndex;
        continue;
      }
      if (text[position] !== '.') fail();
      position++;
    }
    KEY.lastIndex = position;
    const key = KEY.exec(text);
    if (!key) return fail();
    segments.push({ key: key[0] });
    position = KEY.lastIndex;
  }
  if (segments.length === 0) throw new Error(`invalid path "${text}": it is empty`);
  return segments;
}

export function compileJsonPath(text: string): JsonPath {
  const segments = parseJsonPath(text);
  const spreads = segments.some((s) => 'spread' in s);
  return {
    text,
    get(value: unknown): unknown {
      let current: unknown[] = [value];
      for (const segment of segments) {
        const next: unknown[] = [];
        for (const item of current) {
          if ('key' in segment) {
            if (item && typeof item === 'object' && !Array.isArray(item)) {
              const child = (item as Record<string, unknown>)[segment.key];
              if (child !== undefined) next.push(child);
            }
          } else if ('index' in segment) {
            if (Array.isArray(item) && segment.index < item.length) next.push(item[segment.index]);
          } else if (Array.isArray(item)) {
            for (const element of item) next.push(element);
          }
        }
        current = next;
      }
      // A trailing `[]` on an array reads the same as no `[]`: `data.items[]` is the list of items.
      return spreads ? current : current[0];
    },
  };
}

/** A validator for zod: undefined when the path parses, else the reason. */
export function jsonPathProblem(text: string): string | undefined {
  try {
    parseJsonPath(text);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
