import type { AuthConfig } from '../../config/schema.js';
import type { AuthStrategy } from './types.js';

type Of<T extends AuthConfig['type']> = Extract<AuthConfig, { type: T }>;

export function noAuth(): AuthStrategy {
  return { method: 'none', apply: () => {} };
}

export function bearerAuth(config: Of<'bearer'>): AuthStrategy {
  const header = `Bearer ${config.token}`;
  return {
    method: 'bearer',
    apply: (request) => {
      request.headers.authorization = header;
    },
  };
}

export function apiKeyAuth(config: Of<'api_key'>): AuthStrategy {
  const name = config.in === 'header' ? config.name.toLowerCase() : config.name;
  return {
    method: `api_key_${config.in}`,
    apply: (request) => {
      if (config.in === 'header') request.headers[name] = config.key;
      else request.query[name] = config.key;
    },
  };
}

export function basicAuth(config: Of<'basic'>): AuthStrategy {
  const header = `Basic ${Buffer.from(`${config.username}:${config.password}`).toString('base64')}`;
  return {
    method: 'basic',
    apply: (request) => {
      request.headers.authorization = header;
    },
  };
}
