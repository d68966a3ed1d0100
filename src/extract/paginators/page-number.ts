import type { PaginatorConfig } from '../../config/schema.js';
import { compileJsonPath } from '../../core/json-path.js';
import { paramSetter } from './params.js';
import { readCount, readFlag } from './read-count.js';
import type { Paginator, PaginatorContext, PaginatorState } from './types.js';

type Config = Extract<PaginatorConfig, { type: 'page_number' }>;

/**
 * `?page=1`, `?page=2`, ... Stops on an empty page, on a page shorter than `page_size`, after the page count
 * found at `total_pages_path`, or when the flag at `has_more_path` is false.
 */
export function pageNumberPaginator(
  config: Config,
  ctx: PaginatorContext,
  resume?: PaginatorState,
): Paginator {
  const totalPages = config.total_pages_path ? compileJsonPath(config.total_pages_path) : undefined;
  const hasMore = config.has_more_path ? compileJsonPath(config.has_more_path) : undefined;
  const setPage = paramSetter(ctx, config.in, 'page');
  const setSize = paramSetter(ctx, config.in, 'page_size');
  let page = typeof resume?.page === 'number' ? resume.page : config.start;
  return {
    vars: () => ({ page, ...(config.page_size === undefined ? {} : { page_size: config.page_size }) }),
    apply(request) {
      setPage(request, config.param, page);
      if (config.page_size !== undefined) setSize(request, config.page_size_param, config.page_size);
    },
    advance({ body, recordCount }) {
      if (recordCount === 0) return false;
      if (hasMore && readFlag(hasMore, body) === false) return false;
      if (config.page_size !== undefined && recordCount < config.page_size) return false;
      if (totalPages) {
        const total = readCount(totalPages, body);
        if (total !== undefined && page - config.start + 1 >= total) return false;
      }
      page++;
      return true;
    },
    state: () => ({ page }),
    predict: () => ({ page: page + 1 }),
  };
}
