import type { z } from 'zod';
import { PARENT_PREFIX, type Placeholder, placeholdersIn, unknownPlaceholders } from '../core/template.js';
import type { ResourceConfig } from './resource.js';
import type { SourceConfig } from './source.js';
import { templatedStrings } from './templates.js';

/**
 * The rules of the extraction keys that span more than one key (placeholders against the paginator, windows
 * against incremental, a parent against the other resources), each reported at the key to change.
 */
export function checkExtraction(
  config: { source: SourceConfig; resources: ResourceConfig[] },
  ctx: z.RefinementCtx,
): void {
  const names = config.resources.map((r) => r.name);
  config.resources.forEach((resource, index) => {
    const at = (...path: PropertyKey[]) => ['resources', index, ...path];
    const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });

    const available = availablePlaceholders(resource);
    for (const [where, text] of templatedStrings(resource)) {
      for (const name of unknownPlaceholders(text, available)) {
        issue(at(...where), placeholderProblem(name, available));
      }
    }

    const { window, incremental, paginator, graphql, endpoint } = resource;
    if (window && !incremental && !window.start) {
      issue(
        at('window', 'start'),
        'a window needs a range: set window.start, or make the resource incremental',
      );
    }
    if (window?.start && incremental) {
      issue(
        at('window', 'start'),
        'an incremental resource starts at incremental.start; remove window.start',
      );
    }
    if (window && window.concurrency > config.source.max_concurrency) {
      issue(
        at('window', 'concurrency'),
        `${window.concurrency} windows at once exceeds the source's max_concurrency (${config.source.max_concurrency})`,
      );
    }
    if (incremental && resource.write === 'replace') {
      issue(
        at('write'),
        'an incremental resource cannot use write: replace (each load would keep only its own increment); use merge with a primary_key, or append',
      );
    }
    if (incremental?.end && incremental.end <= incremental.start) {
      issue(at('incremental', 'end'), 'must be after incremental.start');
    }

    if (graphql && endpoint.body !== undefined) {
      issue(
        at('endpoint', 'body'),
        'a GraphQL resource sends { query, variables }: put values in graphql.variables',
      );
    }
    const location = 'in' in paginator ? paginator.in : undefined;
    if (location === 'variables' && !graphql) {
      issue(
        at('paginator', 'in'),
        'variables are for GraphQL resources (set graphql); use query, body or header',
      );
    }
    if (location === 'body' && !graphql && endpoint.method !== 'POST') {
      issue(
        at('paginator', 'in'),
        'a GET request has no body: set endpoint.method: POST, or use query or header',
      );
    }

    if (resource.parent !== undefined) {
      const chain = parentChain(config.resources, resource);
      const parent = chain[0];
      const windowed = chain.find((r) => r !== resource && usesWindow(r));
      if (resource.parent === resource.name) issue(at('parent'), 'a resource cannot be its own parent');
      else if (!parent) {
        issue(at('parent'), `no resource named "${resource.parent}"; resources: ${names.join(', ')}`);
      } else if (chain.at(-1) === resource) {
        issue(at('parent'), `the parents loop: ${[resource, ...chain].map((r) => r.name).join(' → ')}`);
      } else if (!window && !incremental && windowed) {
        issue(
          at('parent'),
          `the requests of "${windowed.name}" use {window.start}/{window.end}, which a child load fills from its own window: give this resource a window or incremental`,
        );
      }
    } else if (resource.parent_fields.length > 0) {
      issue(
        at('parent_fields'),
        'parent_fields needs parent: the resource whose records these fields come from',
      );
    }
  });
}

/**
 * A resource's parent, that one's parent and so on, nearest first, as far as the names lead: up to a top-level
 * resource, a name no resource has, or back to a resource already in the chain (a loop the rules report).
 */
function parentChain(resources: readonly ResourceConfig[], resource: ResourceConfig): ResourceConfig[] {
  const chain: ResourceConfig[] = [];
  let current = resource;
  while (current.parent !== undefined) {
    const parent = resources.find((r) => r.name === current.parent);
    if (!parent) break;
    chain.push(parent);
    if (parent === resource || chain.indexOf(parent) < chain.length - 1) break;
    current = parent;
  }
  return chain;
}

/**
 * The resources whose records lead to a child resource's requests, the top-level one first (none for a
 * top-level resource). The pipeline's rules guarantee the chain ends at a top-level resource.
 */
export function ancestorsOf(
  resources: readonly ResourceConfig[],
  resource: ResourceConfig,
): ResourceConfig[] {
  return parentChain(resources, resource).reverse();
}

function usesWindow(resource: ResourceConfig): boolean {
  return templatedStrings(resource).some(([, text]) =>
    placeholdersIn(text).some((p) => p.startsWith('window.')),
  );
}

/** The placeholders a resource's request may use, given its paginator, windows and parent. */
function availablePlaceholders(resource: ResourceConfig): string[] {
  const names: string[] = [];
  if (resource.window || resource.incremental) names.push('window.start', 'window.end');
  const p = resource.paginator;
  if (p.type === 'page_number') names.push('page');
  if (p.type === 'offset') names.push('offset');
  if (p.type === 'cursor' || p.type === 'relay') names.push('cursor');
  const sized = (p.type === 'page_number' || p.type === 'relay') && p.page_size !== undefined;
  if (p.type === 'offset' || sized) names.push('page_size');
  if (resource.parent !== undefined) names.push(PARENT_PREFIX);
  return names;
}

const NEEDS: Record<Placeholder, string> = {
  'window.start': 'a window or incremental',
  'window.end': 'a window or incremental',
  page: 'paginator type page_number',
  page_size: 'a paginator with page_size (page_number, relay) or offset',
  offset: 'paginator type offset',
  cursor: 'paginator type cursor or relay',
};

function placeholderProblem(name: string, available: readonly string[]): string {
  const shown =
    available.map((a) => (a === PARENT_PREFIX ? '{parent.<field>}' : `{${a}}`)).join(', ') || 'none';
  if (/^env[.:]/.test(name) || name === 'env') {
    return `{${name}} is not a template: secrets are written \${env:NAME} and resolved once, never per request`;
  }
  if (name.startsWith(PARENT_PREFIX))
    return `{${name}} needs parent: the resource whose records it comes from`;
  const needs = NEEDS[name as Placeholder];
  if (needs) return `{${name}} needs ${needs}; available here: ${shown}`;
  return `unknown placeholder {${name}}; available here: ${shown}`;
}
