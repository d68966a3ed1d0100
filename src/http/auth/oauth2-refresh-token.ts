import type { AuthConfig } from '../../config/auth.js';
import type { Clock } from '../../core/clock.js';
import { registerSecret } from '../../core/redact.js';
import { registerClientSecrets, requestToken } from './oauth2.js';
import { TokenCache, tokenAuth } from './token-cache.js';
import type { AuthStrategy } from './types.js';

type Config = Extract<AuthConfig, { type: 'oauth2_refresh_token' }>;

/**
 * OAuth2 refresh-token grant (RFC 6749 §6): a long-lived refresh token buys short-lived access tokens. When
 * the server rotates refresh tokens, the new one is used for the rest of the process (it is not written back
 * to the pipeline file).
 */
export function refreshTokenAuth(config: Config, clock: Clock): AuthStrategy {
  registerClientSecrets(config);
  registerSecret(config.refresh_token);
  let refreshToken = config.refresh_token;
  const cache = new TokenCache(async (via) => {
    const token = await requestToken(
      via,
      config,
      { grant_type: 'refresh_token', refresh_token: refreshToken },
      clock.now().getTime(),
    );
    if (token.refreshToken) refreshToken = token.refreshToken;
    return token;
  }, clock);
  return tokenAuth(config.type, cache);
}
