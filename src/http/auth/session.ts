import type { AuthConfig } from '../../config/auth.js';
import type { Clock } from '../../core/clock.js';
import { HttpError } from '../../core/errors.js';
import { compileJsonPath } from '../../core/json-path.js';
import { redact } from '../../core/redact.js';
import { TokenCache, tokenAuth } from './token-cache.js';
import type { AuthStrategy } from './types.js';

type Config = Extract<AuthConfig, { type: 'session' }>;

/**
 * Session login: POST the credentials to a login endpoint, take the token from the response, send it in a
 * header. Logs in again after `expires_in`, and after a 401.
 */
export function sessionAuth(config: Config, clock: Clock): AuthStrategy {
  const tokenAt = compileJsonPath(config.token_path);
  const body =
    config.format === 'json'
      ? JSON.stringify(config.body)
      : new URLSearchParams(
          Object.entries(config.body).map(([k, v]): [string, string] => [
            k,
            typeof v === 'string' ? v : JSON.stringify(v),
          ]),
        ).toString();
  const contentType = config.format === 'json' ? 'application/json' : 'application/x-www-form-urlencoded';
  const cache = new TokenCache(async (via) => {
    const loggedInAt = clock.now().getTime();
    const response = await via({
      method: config.method,
      url: config.login_url,
      headers: { 'content-type': contentType, accept: 'application/json' },
      body,
    });
    if (response.status < 200 || response.status >= 300) {
      throw new HttpError(
        'AUTH_FAILED',
        redact(`login at ${response.url} answered ${response.status}: ${response.text.slice(0, 200)}`),
        { status: response.status, context: { url: response.url } },
      );
    }
    const token = tokenAt.get(response.body);
    if (typeof token !== 'string' && typeof token !== 'number') {
      throw new HttpError(
        'AUTH_FAILED',
        `the login response from ${response.url} has no token at ${config.token_path}`,
        { status: response.status, context: { url: response.url } },
      );
    }
    return {
      value: String(token),
      expiresAt: config.expires_in === undefined ? undefined : loggedInAt + config.expires_in,
    };
  }, clock);
  return tokenAuth(config.type, cache, config.header, config.prefix);
}
