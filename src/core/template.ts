/**
 * Request templating: `{window.start}` in a path, query parameter, header or JSON body is replaced per request.
 * Only the names below exist; secrets are never templates (they are `${env:...}` references, resolved once
 * when the file is read).
 */

export const PLACEHOLDERS = ['window.start', 'window.end'] as const;
export type TemplateVars = Partial<Record<(typeof PLACEHOLDERS)[number], string>>;

const PLACEHOLDER = /\{([a-z_]+(?:\.[a-z_]+)*)\}/g;

/** The placeholders in a text that restlake does not know, for validation. */
export function unknownPlaceholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)]
    .map((m) => m[1]!)
    .filter((name) => !(PLACEHOLDERS as readonly string[]).includes(name));
}

export function renderString(text: string, vars: TemplateVars): string {
  if (!text.includes('{')) return text;
  return text.replace(PLACEHOLDER, (match, name: string) => vars[name as keyof TemplateVars] ?? match);
}

/** Renders every string inside a JSON value (a POST body). */
export function renderValue(value: unknown, vars: TemplateVars): unknown {
  if (typeof value === 'string') return renderString(value, vars);
  if (Array.isArray(value)) return value.map((v) => renderValue(v, vars));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderValue(v, vars)]));
  }
  return value;
}
