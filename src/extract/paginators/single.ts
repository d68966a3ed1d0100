import type { Paginator } from './types.js';

/** One request, no pagination. */
export function singlePaginator(): Paginator {
  return { vars: () => ({}), apply: () => {}, advance: () => false, state: () => ({}) };
}
