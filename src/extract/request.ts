import type { ResourceConfig } from '../config/schema.js';
import { templatedStrings } from '../config/templates.js';
import {
  placeholdersIn,
  renderString,
  renderValue,
  type TemplateValue,
  type TemplateVars,
  wholePlaceholder,
} from '../core/template.js';
import type { PageRequest } from './paginators/index.js';

/** A resource's request, compiled once and rendered per page. */
export interface RequestTemplate {
  method: 'GET' | 'POST';
  graphql: boolean;
  /** Every placeholder the request uses (`page`, `parent.id`, ...). */
  templated: ReadonlySet<string>;
  render(vars: TemplateVars): PageRequest;
}

export function requestTemplate(resource: Pick<ResourceConfig, 'endpoint' | 'graphql'>): RequestTemplate {
  const { endpoint, graphql } = resource;
  const templated = new Set(templatedStrings(resource).flatMap(([, text]) => placeholdersIn(text)));
  return {
    method: graphql ? 'POST' : endpoint.method,
    graphql: graphql !== undefined,
    templated,
    render: (vars) => ({
      // Values are URL-encoded in the path: a parent id such as "a/b" must stay one segment.
      path: renderString(endpoint.path, vars, true),
      query: renderParams(endpoint.params, vars),
      headers: renderParams(endpoint.headers, vars),
      body: graphql
        ? { query: graphql.query, variables: renderValue(graphql.variables, vars) }
        : renderValue(endpoint.body, vars),
    }),
  };
}

/** Query parameters or headers; one that is exactly a placeholder whose value is null (no cursor yet) is left out. */
function renderParams(
  params: Record<string, string | number | boolean>,
  vars: TemplateVars,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, raw] of Object.entries(params)) {
    if (typeof raw !== 'string') {
      out[key] = String(raw);
      continue;
    }
    const whole = wholePlaceholder(raw);
    const value: TemplateValue = whole ? (renderValue(raw, vars) as TemplateValue) : renderString(raw, vars);
    if (value !== null) out[key] = String(value);
  }
  return out;
}
