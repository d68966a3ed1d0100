import type { PaginatorConfig } from '../../config/schema.js';
import { RestlakeError } from '../../core/errors.js';
import { stringifyJson } from '../../core/json.js';
import { compileJsonPath } from '../../core/json-path.js';
import { RepeatGuard } from './guard.js';
import { paramSetter } from './params.js';
import type { Paginator, PaginatorContext, PaginatorState } from './types.js';

type Config = Extract<PaginatorConfig, { type: 'relay' }>;

/**
 * GraphQL cursor connections (the Relay convention): `pageInfo { hasNextPage endCursor }` at
 * `page_info_path`; `endCursor` goes into the `after` variable until `hasNextPage` is false.
 */
export function relayPaginator(config: Config, ctx: PaginatorContext, resume?: PaginatorState): Paginator {
  const pageInfo = compileJsonPath(config.page_info_path);
  const setCursor = paramSetter(ctx, config.in, 'cursor');
  const setSize = paramSetter(ctx, config.in, 'page_size');
  let cursor = typeof resume?.cursor === 'string' ? resume.cursor : null;
  const guard = new RepeatGuard('endCursor', cursor);
  return {
    vars: () => ({ cursor, ...(config.page_size === undefined ? {} : { page_size: config.page_size }) }),
    apply(request) {
      if (config.page_size !== undefined) setSize(request, config.page_size_param, config.page_size);
      if (cursor !== null) setCursor(request, config.param, cursor);
    },
    advance({ body }) {
      const info = pageInfo.get(body) as { hasNextPage?: unknown; endCursor?: unknown } | undefined;
      if (info === undefined || info === null) return false;
      if (typeof info !== 'object' || typeof info.hasNextPage !== 'boolean') {
        throw new RestlakeError(
          'PAGINATION',
          `expected { hasNextPage, endCursor } at "${config.page_info_path}", got ${stringifyJson(info)}`,
        );
      }
      if (!info.hasNextPage) return false;
      if (typeof info.endCursor !== 'string' || info.endCursor === '') {
        throw new RestlakeError(
          'PAGINATION',
          `hasNextPage is true but endCursor at "${config.page_info_path}.endCursor" is ${stringifyJson(info.endCursor)}`,
        );
      }
      guard.check(info.endCursor);
      cursor = info.endCursor;
      return true;
    },
    state: () => ({ cursor }),
  };
}
