import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { AuthConfig } from '../../config/auth.js';
import type { Clock } from '../../core/clock.js';
import { registerSecret } from '../../core/redact.js';
import { TokenCache, tokenAuth } from './token-cache.js';
import type { AuthStrategy } from './types.js';

type Config = Extract<AuthConfig, { type: 'jwt' }>;

/**
 * A JWT signed by restlake (HS256 with a shared secret, RS256 / ES256 with a PEM private key) and sent as a
 * bearer token. Each token carries the configured claims plus `iat` and `exp`; a new one is signed shortly
 * before the last expires, and after a 401.
 */
export function jwtAuth(config: Config, clock: Clock): AuthStrategy {
  registerSecret(config.key);
  const key: KeyObject | Uint8Array =
    config.algorithm === 'HS256' ? new TextEncoder().encode(config.key) : createPrivateKey(config.key);
  const cache = new TokenCache(async () => {
    // Imported on first use so that commands which sign nothing start without it.
    const { SignJWT } = await import('jose');
    const now = clock.now().getTime();
    const iat = Math.floor(now / 1_000);
    const exp = iat + Math.max(1, Math.round(config.expires_in / 1_000));
    const value = await new SignJWT(config.claims as Record<string, unknown>)
      .setProtectedHeader({
        alg: config.algorithm,
        typ: 'JWT',
        ...(config.key_id ? { kid: config.key_id } : {}),
      })
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(key);
    return { value, expiresAt: exp * 1_000 };
  }, clock);
  return tokenAuth(config.type, cache);
}
