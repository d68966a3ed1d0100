import type { PaginatorConfig } from '../../config/schema.js';
import { RestlakeError } from '../../core/errors.js';
import { compileJsonPath } from '../../core/json-path.js';
import type { Paginator, PaginatorState } from './types.js';

type Config = Extract<PaginatorConfig, { type: 'cursor' }>;

/**
 * The next page's cursor is read from the body (`cursor_path`) and sent as `param`. A missing, null or empty
 * cursor ends the stream; the same cursor twice in a row fails, because the API would loop forever.
 */
export function cursorPaginator(config: Config, resume?: PaginatorState): Paginator {
  const path = compileJsonPath(config.cursor_path);
  let cursor = typeof resume?.cursor === 'string' ? resume.cursor : null;
  return {
    apply(request) {
      if (cursor !== null) request.query[config.param] = cursor;
    },
    advance({ body }) {
      const value = path.get(body);
      if (value === undefined || value === null || value === '') return false;
      if (typeof value !== 'string' && typeof value !== 'number') {
        throw new RestlakeError(
          'PAGINATION',
          `expected a string cursor at "${config.cursor_path}", got ${JSON.stringify(value)}`,
        );
      }
      const next = String(value);
      if (next === cursor) {
        throw new RestlakeError(
          'PAGINATION',
          `the API returned the cursor "${next}" twice in a row; stopping to avoid an endless loop`,
        );
      }
      cursor = next;
      return true;
    },
    state: () => ({ cursor }),
  };
}
