import type { PaginatorConfig } from '../../config/schema.js';
import { RestlakeError } from '../../core/errors.js';
import { stringifyJson } from '../../core/json.js';
import { compileJsonPath } from '../../core/json-path.js';
import { RepeatGuard } from './guard.js';
import { paramSetter } from './params.js';
import type { Paginator, PaginatorContext, PaginatorState } from './types.js';

type Config = Extract<PaginatorConfig, { type: 'cursor' }>;

/**
 * The next page's cursor is read from the body (`cursor_path`) or a response header (`cursor_header`) and
 * sent as `param`. A missing, null or empty cursor ends the stream; a cursor seen before fails it, because
 * the API would loop forever.
 */
export function cursorPaginator(config: Config, ctx: PaginatorContext, resume?: PaginatorState): Paginator {
  const path = config.cursor_path ? compileJsonPath(config.cursor_path) : undefined;
  const header = config.cursor_header?.toLowerCase();
  const setCursor = paramSetter(ctx, config.in, 'cursor');
  let cursor = typeof resume?.cursor === 'string' ? resume.cursor : null;
  const guard = new RepeatGuard('cursor', cursor);
  return {
    vars: () => ({ cursor }),
    apply(request) {
      if (cursor === null) return;
      if (config.only_cursor_on_follow_up) {
        request.query = {};
        if ((config.in ?? ctx.defaultLocation) === 'body') request.body = undefined;
      }
      setCursor(request, config.param, cursor);
    },
    advance({ body, headers }) {
      const value = path ? path.get(body) : headers[header!];
      if (value === undefined || value === null || value === '') return false;
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'bigint') {
        throw new RestlakeError(
          'PAGINATION',
          `expected a string cursor at "${config.cursor_path}", got ${stringifyJson(value)}`,
        );
      }
      const next = String(value);
      guard.check(next);
      cursor = next;
      return true;
    },
    state: () => ({ cursor }),
  };
}
