import type { ResourceConfig } from './resource.js';

/**
 * Every string of a resource's request that is a template, with its key path inside the resource: the
 * endpoint's path, params, headers and body, and the GraphQL variables. The GraphQL query itself is never a
 * template (its braces are GraphQL's).
 */
export function templatedStrings(
  resource: Pick<ResourceConfig, 'endpoint' | 'graphql'>,
): Array<[PropertyKey[], string]> {
  const { endpoint } = resource;
  const found: Array<[PropertyKey[], string]> = [[['endpoint', 'path'], endpoint.path]];
  for (const [key, value] of Object.entries(endpoint.params))
    found.push([['endpoint', 'params', key], String(value)]);
  for (const [key, value] of Object.entries(endpoint.headers))
    found.push([['endpoint', 'headers', key], value]);
  const walk = (value: unknown, path: PropertyKey[]): void => {
    if (typeof value === 'string') found.push([path, value]);
    else if (value && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(endpoint.body, ['endpoint', 'body']);
  walk(resource.graphql?.variables, ['graphql', 'variables']);
  return found;
}
