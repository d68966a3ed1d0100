import { RestlakeError } from '../core/errors.js';
import { stringifyJson } from '../core/json.js';
import { redact } from '../core/redact.js';

/**
 * GraphQL answers 200 even when a query fails, with the reasons in `errors`. Any error fails the page, even
 * beside partial `data`: loading half an answer would silently lose records.
 */
export function checkGraphqlErrors(body: unknown, url: string): void {
  if (!body || typeof body !== 'object' || !('errors' in body)) return;
  const { errors } = body as { errors: unknown };
  if (!Array.isArray(errors) || errors.length === 0) return;
  const messages = errors.map((e) => {
    if (e && typeof e === 'object' && 'message' in e) {
      const { message, path } = e as { message: unknown; path?: unknown };
      return Array.isArray(path) ? `${String(message)} (at ${path.join('.')})` : String(message);
    }
    return stringifyJson(e);
  });
  throw new RestlakeError('GRAPHQL', redact(`${url} answered with GraphQL errors: ${messages.join('; ')}`), {
    context: { url, errors: messages.length },
  });
}
