import type { ParamLocation } from '../../config/schema.js';
import type { TemplateValue } from '../../core/template.js';
import type { PageRequest, PaginatorContext } from './types.js';

export type ParamSetter = (request: PageRequest, name: string, value: TemplateValue) => void;

/**
 * A setter for a paginator's parameter at its configured location; a no-op when the resource's request
 * already places the value through `placeholder` (`"pageNumber": "{page}"` in a body).
 */
export function paramSetter(
  ctx: PaginatorContext,
  location: ParamLocation | undefined,
  placeholder: string,
): ParamSetter {
  if (ctx.templated.has(placeholder)) return () => {};
  const where = location ?? ctx.defaultLocation;
  return (request, name, value) => setParam(request, where, name, value);
}

/** Sets a value in a request: as text in the query or a header, typed in the JSON body or GraphQL variables. */
export function setParam(request: PageRequest, location: ParamLocation, name: string, value: TemplateValue) {
  switch (location) {
    case 'query':
      if (value === null) delete request.query[name];
      else request.query[name] = String(value);
      return;
    case 'header':
      if (value === null) delete request.headers[name];
      else request.headers[name] = String(value);
      return;
    case 'body':
      request.body = setIn(request.body, name.split('.'), value);
      return;
    case 'variables': {
      const body = asObject(request.body);
      body.variables = { ...asObject(body.variables), [name]: value };
      request.body = body;
      return;
    }
  }
}

function asObject(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? { ...value } : {};
}

function setIn(target: unknown, keys: string[], value: unknown): Record<string, unknown> {
  const [key, ...rest] = keys;
  const object = asObject(target);
  object[key!] = rest.length === 0 ? value : setIn(object[key!], rest, value);
  return object;
}
