import type { PaginatorConfig } from '../../config/schema.js';
import { RestlakeError } from '../../core/errors.js';
import { stringifyJson } from '../../core/json.js';
import { compileJsonPath } from '../../core/json-path.js';
import { redact } from '../../core/redact.js';
import { RepeatGuard } from './guard.js';
import type { Paginator, PaginatorContext, PaginatorState } from './types.js';

type Config = Extract<PaginatorConfig, { type: 'next_url' }>;

/**
 * The body carries the next page's URL (`next_path`), absolute or relative to the page's own URL. The URL is
 * followed as given: it already holds the query, so the endpoint's params are sent on the first request only.
 */
export function nextUrlPaginator(config: Config, ctx: PaginatorContext, resume?: PaginatorState): Paginator {
  const path = compileJsonPath(config.next_path);
  return linkFollower('next URL', ctx, resume, ({ body }) => {
    const value = path.get(body);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') {
      throw new RestlakeError(
        'PAGINATION',
        `expected a URL at "${config.next_path}", got ${stringifyJson(value)}`,
      );
    }
    return value;
  });
}

/** Follows links found by `find` in each response; shared by `next_url` and `link_header`. */
export function linkFollower(
  what: string,
  ctx: PaginatorContext,
  resume: PaginatorState | undefined,
  find: (response: { body: unknown; headers: Record<string, string> }) => string | undefined,
): Paginator {
  const base = `${ctx.baseUrl.replace(/\/+$/, '')}/`;
  let next = typeof resume?.next === 'string' ? resume.next : null;
  const guard = new RepeatGuard(what, next);
  return {
    vars: () => ({}),
    apply(request) {
      if (next === null) return;
      request.path = next;
      request.query = {};
    },
    advance(response) {
      const link = find(response);
      if (link === undefined) return false;
      const url = new URL(link, response.url).toString();
      guard.check(url);
      next = url;
      return true;
    },
    // Saved relative to the base URL (which may itself come from a secret), and masked: a link may carry an
    // API key the server echoed, and the client sets the key again on every request, so the masked form
    // resumes just as well and keeps the secret out of the checkpoint.
    state: () => ({
      next: next === null ? null : redact(next.startsWith(base) ? next.slice(base.length) : next),
    }),
  };
}
