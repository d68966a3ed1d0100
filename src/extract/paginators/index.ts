import type { PaginatorConfig, PaginatorType } from '../../config/schema.js';
import { RestlakeError } from '../../core/errors.js';
import { cursorPaginator } from './cursor.js';
import { linkHeaderPaginator } from './link-header.js';
import { nextUrlPaginator } from './next-url.js';
import { offsetPaginator } from './offset.js';
import { pageNumberPaginator } from './page-number.js';
import { relayPaginator } from './relay.js';
import { singlePaginator } from './single.js';
import type { Paginator, PaginatorContext, PaginatorState } from './types.js';

export type {
  PageRequest,
  PageResponse,
  PageVars,
  Paginator,
  PaginatorContext,
  PaginatorState,
} from './types.js';

type Factory<T extends PaginatorType> = (
  config: Extract<PaginatorConfig, { type: T }>,
  ctx: PaginatorContext,
  resume: PaginatorState | undefined,
) => Paginator;

/** Every `paginator.type` and its implementation; a type the schema knows but this map lacks does not compile. */
const REGISTRY: { [T in PaginatorType]: Factory<T> } = {
  single: () => singlePaginator(),
  page_number: pageNumberPaginator,
  offset: offsetPaginator,
  cursor: cursorPaginator,
  next_url: nextUrlPaginator,
  link_header: linkHeaderPaginator,
  relay: relayPaginator,
};

/** Creates the paginator of a resource; `resume` continues a saved stream. */
export function createPaginator(
  config: PaginatorConfig,
  ctx: PaginatorContext,
  resume?: PaginatorState,
): Paginator {
  const factory = REGISTRY[config.type] as Factory<PaginatorType> | undefined;
  if (!factory) {
    throw new RestlakeError(
      'CONFIG_INVALID',
      `unknown paginator type "${config.type}"; known types: ${Object.keys(REGISTRY).join(', ')}`,
    );
  }
  return factory(config as never, ctx, resume);
}
