import { RestlakeError } from './errors.js';
import { stringifyJson } from './json.js';
import { compileJsonPath, type JsonPath } from './json-path.js';

/**
 * Request templating: `{window.start}`, `{page}`, `{parent.id}`... in a path, query parameter, header or JSON
 * body are replaced per request. Only the names below exist. Secrets are never templates: they are
 * `${env:...}` / `${file:...}` references, resolved once when the pipeline file is read.
 */

export const PLACEHOLDERS = ['window.start', 'window.end', 'page', 'page_size', 'offset', 'cursor'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
/** `{parent.<field>}`: a field (or dotted path) of the parent record, for child resources. */
export const PARENT_PREFIX = 'parent.';

export type TemplateValue = string | number | boolean | null;

export interface TemplateVars {
  values: Partial<Record<Placeholder, TemplateValue>>;
  /** The parent record of a child resource's request. */
  parent?: unknown;
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\}/g;
const WHOLE = /^\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\}$/;

/** Every placeholder name in a text, in order. */
export function placeholdersIn(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

/** The placeholders in a text that are not in `available` (names; `parent.` matches any parent field). */
export function unknownPlaceholders(text: string, available: readonly string[] = PLACEHOLDERS): string[] {
  const parent = available.includes(PARENT_PREFIX);
  return placeholdersIn(text).filter(
    (name) => !available.includes(name) && !(parent && name.startsWith(PARENT_PREFIX)),
  );
}

const parentPaths = new Map<string, JsonPath>();

function lookup(name: string, vars: TemplateVars): TemplateValue | undefined {
  if (name.startsWith(PARENT_PREFIX)) {
    const field = name.slice(PARENT_PREFIX.length);
    let path = parentPaths.get(field);
    if (!path) {
      path = compileJsonPath(field);
      parentPaths.set(field, path);
    }
    const value = path.get(vars.parent);
    if (value === undefined) {
      throw new RestlakeError(
        'TEMPLATE',
        `the parent record has no field "${field}" for {${name}}: ${stringifyJson(vars.parent).slice(0, 200)}`,
      );
    }
    return value !== null && typeof value === 'object' ? stringifyJson(value) : (value as TemplateValue);
  }
  return vars.values[name as Placeholder];
}

function resolve(name: string, vars: TemplateVars): TemplateValue {
  const value = lookup(name, vars);
  if (value === undefined) {
    throw new RestlakeError('TEMPLATE', `no value for {${name}} in this request`);
  }
  return value;
}

/**
 * Replaces every placeholder in a text; `encode` URL-encodes the values (a path segment must not gain a `/`
 * or `?` from a value). A null (no cursor yet) renders as an empty string.
 */
export function renderString(text: string, vars: TemplateVars, encode = false): string {
  if (!text.includes('{')) return text;
  return text.replace(PLACEHOLDER, (_match, name: string) => {
    const value = resolve(name, vars);
    const shown = value === null ? '' : String(value);
    return encode ? encodeURIComponent(shown) : shown;
  });
}

/**
 * Renders a JSON value (a POST body, GraphQL variables). A string that is exactly one placeholder takes the
 * value's own type (`"pageNumber": "{page}"` → `"pageNumber": 3`, `"after": "{cursor}"` → null on the first
 * page); placeholders inside longer strings are replaced as text.
 */
export function renderValue(value: unknown, vars: TemplateVars): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    return whole ? resolve(whole[1]!, vars) : renderString(value, vars);
  }
  if (Array.isArray(value)) return value.map((v) => renderValue(v, vars));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderValue(v, vars)]));
  }
  return value;
}

/** The placeholder a text consists of, when it is exactly one (`"{cursor}"`), else undefined. */
export function wholePlaceholder(text: string): string | undefined {
  return WHOLE.exec(text)?.[1];
}
