import type { PaginatorConfig } from '../../config/schema.js';
import { compileJsonPath } from '../../core/json-path.js';
import { readCount } from './read-count.js';
import type { Paginator, PaginatorState } from './types.js';

type Config = Extract<PaginatorConfig, { type: 'offset' }>;

/**
 * `?offset=0&limit=100`, `?offset=100&limit=100`, ... Stops on an empty or short page, or once the offset
 * reaches the total found at `total_path`.
 */
export function offsetPaginator(config: Config, resume?: PaginatorState): Paginator {
  const totalPath = config.total_path ? compileJsonPath(config.total_path) : undefined;
  let offset = typeof resume?.offset === 'number' ? resume.offset : 0;
  return {
    apply(request) {
      request.query[config.param] = String(offset);
      request.query[config.limit_param] = String(config.limit);
    },
    advance({ body, recordCount }) {
      if (recordCount === 0 || recordCount < config.limit) return false;
      offset += recordCount;
      const total = totalPath ? readCount(totalPath, body) : undefined;
      return total === undefined || offset < total;
    },
    state: () => ({ offset }),
  };
}
