import type { PaginatorConfig } from '../../config/schema.js';
import { compileJsonPath } from '../../core/json-path.js';
import { readCount } from './read-count.js';
import type { Paginator, PaginatorState } from './types.js';

type Config = Extract<PaginatorConfig, { type: 'page_number' }>;

/**
 * `?page=1`, `?page=2`, ... Stops on an empty page, on a page shorter than `page_size`, or after the page
 * count found at `total_pages_path`.
 */
export function pageNumberPaginator(config: Config, resume?: PaginatorState): Paginator {
  const totalPages = config.total_pages_path ? compileJsonPath(config.total_pages_path) : undefined;
  let page = typeof resume?.page === 'number' ? resume.page : config.start;
  return {
    apply(request) {
      request.query[config.param] = String(page);
      if (config.page_size !== undefined) request.query[config.page_size_param] = String(config.page_size);
    },
    advance({ body, recordCount }) {
      if (recordCount === 0) return false;
      if (config.page_size !== undefined && recordCount < config.page_size) return false;
      if (totalPages) {
        const total = readCount(totalPages, body);
        if (total !== undefined && page - config.start + 1 >= total) return false;
      }
      page++;
      return true;
    },
    state: () => ({ page }),
  };
}
