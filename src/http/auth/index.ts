import type { AuthConfig, AuthType } from '../../config/auth.js';
import { type Clock, systemClock } from '../../core/clock.js';
import { jwtAuth } from './jwt.js';
import { clientCredentialsAuth } from './oauth2-client-credentials.js';
import { refreshTokenAuth } from './oauth2-refresh-token.js';
import { sessionAuth } from './session.js';
import { apiKeyAuth, basicAuth, bearerAuth, noAuth } from './static.js';
import type { AuthStrategy } from './types.js';

export type { AuthStrategy, OutgoingRequest, TokenRequest, TokenResponse, TokenTransport } from './types.js';

type Factory<T extends AuthType> = (config: Extract<AuthConfig, { type: T }>, clock: Clock) => AuthStrategy;

/** The pipeline file's `auth.type` → its strategy; a new type is one entry here and one file beside this. */
const STRATEGIES: { [T in AuthType]: Factory<T> } = {
  none: noAuth,
  bearer: bearerAuth,
  api_key: apiKeyAuth,
  basic: basicAuth,
  oauth2_client_credentials: clientCredentialsAuth,
  oauth2_refresh_token: refreshTokenAuth,
  jwt: jwtAuth,
  session: sessionAuth,
};

/** Builds the strategy of a source; every secret it holds is registered for redaction. */
export function createAuth(config: AuthConfig, clock: Clock = systemClock): AuthStrategy {
  return (STRATEGIES[config.type] as Factory<AuthType>)(config as never, clock);
}

/** The AuthMethod column's value for a source, without building the strategy. */
export function authMethodName(config: AuthConfig): string {
  return config.type === 'api_key' ? `api_key_${config.in}` : config.type;
}
