import type { PaginatorConfig } from '../../config/schema.js';
import { compileJsonPath } from '../../core/json-path.js';
import { paramSetter } from './params.js';
import { readCount, readCountHeader, readFlag } from './read-count.js';
import type { Paginator, PaginatorContext, PaginatorState } from './types.js';

type Config = Extract<PaginatorConfig, { type: 'offset' }>;

/**
 * `?offset=0&limit=100`, `?offset=100&limit=100`, ... Stops on an empty or short page, once the offset
 * reaches the total (from `total_path` in the body or the `total_header`), or when `has_more_path` is false.
 */
export function offsetPaginator(config: Config, ctx: PaginatorContext, resume?: PaginatorState): Paginator {
  const totalPath = config.total_path ? compileJsonPath(config.total_path) : undefined;
  const hasMore = config.has_more_path ? compileJsonPath(config.has_more_path) : undefined;
  const setOffset = paramSetter(ctx, config.in, 'offset');
  const setLimit = paramSetter(ctx, config.in, 'page_size');
  let offset = typeof resume?.offset === 'number' ? resume.offset : 0;
  return {
    vars: () => ({ offset, page_size: config.limit }),
    apply(request) {
      setOffset(request, config.param, offset);
      setLimit(request, config.limit_param, config.limit);
    },
    advance({ body, headers, recordCount }) {
      if (recordCount === 0 || recordCount < config.limit) return false;
      if (hasMore && readFlag(hasMore, body) === false) return false;
      offset += recordCount;
      const total = totalPath
        ? readCount(totalPath, body)
        : config.total_header
          ? readCountHeader(config.total_header, headers)
          : undefined;
      return total === undefined || offset < total;
    },
    state: () => ({ offset }),
    predict: () => ({ offset: offset + config.limit }),
  };
}
