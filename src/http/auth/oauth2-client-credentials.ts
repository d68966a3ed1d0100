import type { AuthConfig } from '../../config/auth.js';
import type { Clock } from '../../core/clock.js';
import { registerClientSecrets, requestToken } from './oauth2.js';
import { TokenCache, tokenAuth } from './token-cache.js';
import type { AuthStrategy } from './types.js';

type Config = Extract<AuthConfig, { type: 'oauth2_client_credentials' }>;

/** OAuth2 client credentials (RFC 6749 §4.4): the client's id and secret buy an access token, sent as a bearer. */
export function clientCredentialsAuth(config: Config, clock: Clock): AuthStrategy {
  registerClientSecrets(config);
  const cache = new TokenCache(
    (via) => requestToken(via, config, { grant_type: 'client_credentials' }, clock.now().getTime()),
    clock,
  );
  return tokenAuth(config.type, cache);
}
