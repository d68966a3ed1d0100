import type { AuthConfig } from '../../config/auth.js';
import { registerSecret } from '../../core/redact.js';
import type { AuthStrategy } from './types.js';

/** Credentials written in the pipeline file, sent unchanged with every request. */

type Of<T extends AuthConfig['type']> = Extract<AuthConfig, { type: T }>;

export function noAuth(): AuthStrategy {
  return { method: 'none', apply: () => 0 };
}

export function bearerAuth(config: Of<'bearer'>): AuthStrategy {
  registerSecret(config.token);
  const header = `Bearer ${config.token}`;
  return {
    method: 'bearer',
    apply: (request) => {
      request.headers.authorization = header;
      return 0;
    },
  };
}

export function apiKeyAuth(config: Of<'api_key'>): AuthStrategy {
  registerSecret(config.key);
  const name = config.in === 'header' ? config.name.toLowerCase() : config.name;
  return {
    method: `api_key_${config.in}`,
    apply: (request) => {
      if (config.in === 'header') request.headers[name] = config.key;
      else request.query[name] = config.key;
      return 0;
    },
  };
}

export function basicAuth(config: Of<'basic'>): AuthStrategy {
  registerSecret(config.password);
  registerSecret(`${config.username}:${config.password}`);
  const header = `Basic ${Buffer.from(`${config.username}:${config.password}`).toString('base64')}`;
  return {
    method: 'basic',
    apply: (request) => {
      request.headers.authorization = header;
      return 0;
    },
  };
}
