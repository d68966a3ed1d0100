import type { PaginatorConfig } from '../../config/schema.js';
import { cursorPaginator } from './cursor.js';
import { offsetPaginator } from './offset.js';
import { pageNumberPaginator } from './page-number.js';
import { singlePaginator } from './single.js';
import type { Paginator, PaginatorState } from './types.js';

export type { PageRequest, PageResponse, Paginator, PaginatorState } from './types.js';

/** Maps the pipeline file's `paginator.type` to its implementation; `resume` continues a saved stream. */
export function createPaginator(config: PaginatorConfig, resume?: PaginatorState): Paginator {
  switch (config.type) {
    case 'single':
      return singlePaginator();
    case 'page_number':
      return pageNumberPaginator(config, resume);
    case 'offset':
      return offsetPaginator(config, resume);
    case 'cursor':
      return cursorPaginator(config, resume);
  }
}
