import type { Paginator } from './types.js';

/** One request, no pagination. */
export function singlePaginator(): Paginator {
  return { apply: () => {}, advance: () => false, state: () => ({}) };
}
