/** What a sample API route answers: a status, a JSON body, and extra headers. */
export type Reply = [status: number, body: unknown, headers?: Record<string, string>];

export function range<T>(start: number, count: number, size: number, make: (i: number) => T): T[] {
  const items: T[] = [];
  for (let i = start; i < Math.min(start + count, size); i++) items.push(make(i));
  return items;
}

export function integer(query: URLSearchParams, name: string, fallback: number, min: number): number {
  const text = query.get(name);
  if (text === null) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}`);
  return value;
}
