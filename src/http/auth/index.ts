import type { AuthConfig } from '../../config/schema.js';
import { registerSecret } from '../../core/redact.js';
import { apiKeyAuth, basicAuth, bearerAuth, noAuth } from './static.js';
import type { AuthStrategy } from './types.js';

export type { AuthStrategy, OutgoingRequest } from './types.js';

/** Maps the pipeline file's `auth.type` to its strategy. */
export function createAuth(config: AuthConfig): AuthStrategy {
  switch (config.type) {
    case 'none':
      return noAuth();
    case 'bearer':
      registerSecret(config.token);
      return bearerAuth(config);
    case 'api_key':
      registerSecret(config.key);
      return apiKeyAuth(config);
    case 'basic':
      registerSecret(config.password);
      registerSecret(`${config.username}:${config.password}`);
      return basicAuth(config);
  }
}

/** The AuthMethod column's value for a source, without building the strategy. */
export function authMethodName(config: AuthConfig): string {
  return config.type === 'api_key' ? `api_key_${config.in}` : config.type;
}
