import LinkHeader from 'http-link-header';
import type { PaginatorConfig } from '../../config/schema.js';
import { RestlakeError } from '../../core/errors.js';
import { linkFollower } from './next-url.js';
import type { Paginator, PaginatorContext, PaginatorState } from './types.js';

type Config = Extract<PaginatorConfig, { type: 'link_header' }>;

/** GitHub style: `Link: <https://api.example.com/items?page=2>; rel="next"` (RFC 8288); no such link ends. */
export function linkHeaderPaginator(
  config: Config,
  ctx: PaginatorContext,
  resume?: PaginatorState,
): Paginator {
  return linkFollower(`${config.rel} link`, ctx, resume, ({ headers }) => {
    const header = headers.link;
    if (!header) return undefined;
    let links: LinkHeader;
    try {
      links = LinkHeader.parse(header);
    } catch (error) {
      throw new RestlakeError(
        'PAGINATION',
        `cannot parse the Link header "${header}": ${(error as Error).message}`,
      );
    }
    return links.rel(config.rel)[0]?.uri;
  });
}
