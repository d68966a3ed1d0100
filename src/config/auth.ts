import { createPrivateKey } from 'node:crypto';
import { z } from 'zod';
import { duration, jsonPath, nonEmpty } from './primitives.js';

/** `source.auth`: how requests authenticate. One strict object per `type`. */

/** An absolute http(s) URL, or a path joined to `base_url` (`/oauth/token`). */
const urlOrPath = nonEmpty.refine((value) => value.startsWith('/') || /^https?:\/\/[^/]/i.test(value), {
  message: 'expected an http(s) URL or a path starting with / (joined to base_url)',
});

/** `read` or `read write` or `[read, write]`: sent space-separated, as OAuth2 wants. */
const scopes = z
  .union([z.string(), z.array(nonEmpty)])
  .transform((value) => (Array.isArray(value) ? value : value.split(/\s+/).filter(Boolean)))
  .default([]);

/** Extra form fields of a token request (`audience`, `resource`...). */
const tokenParams = z.record(z.string(), z.string()).default({});

/** How a client proves itself to an OAuth2 token endpoint: form fields, or HTTP basic (RFC 6749 §2.3.1). */
const clientAuth = z.enum(['form', 'basic']).default('form');

const authNone = z.strictObject({ type: z.literal('none') });
const authBearer = z.strictObject({ type: z.literal('bearer'), token: nonEmpty });
const authApiKey = z.strictObject({
  type: z.literal('api_key'),
  key: nonEmpty,
  /** Header or query parameter name. */
  name: nonEmpty.default('X-API-Key'),
  in: z.enum(['header', 'query']).default('header'),
});
const authBasic = z.strictObject({ type: z.literal('basic'), username: nonEmpty, password: z.string() });

const oauth2ClientCredentials = z.strictObject({
  type: z.literal('oauth2_client_credentials'),
  token_url: urlOrPath,
  client_id: nonEmpty,
  client_secret: nonEmpty,
  client_auth: clientAuth,
  scopes,
  params: tokenParams,
});

const oauth2RefreshToken = z.strictObject({
  type: z.literal('oauth2_refresh_token'),
  token_url: urlOrPath,
  refresh_token: nonEmpty,
  client_id: nonEmpty.optional(),
  client_secret: nonEmpty.optional(),
  client_auth: clientAuth,
  scopes,
  params: tokenParams,
});

export const JWT_ALGORITHMS = ['HS256', 'RS256', 'ES256'] as const;

const authJwt = z
  .strictObject({
    type: z.literal('jwt'),
    algorithm: z.enum(JWT_ALGORITHMS),
    /** HS256: the shared secret. RS256 / ES256: a PEM private key (PKCS#8, PKCS#1 or SEC1), usually `${file:...}`. */
    key: nonEmpty,
    /** The `kid` header, when the server picks the verification key by id. */
    key_id: nonEmpty.optional(),
    /** Claims of every token (`iss`, `sub`, `aud`, `scope`...); `iat` and `exp` are added. */
    claims: z.record(z.string(), z.unknown()).default({}),
    /** Lifetime of each signed token; a new one is signed shortly before it runs out. */
    expires_in: duration.default(3_600_000),
  })
  .superRefine((config, ctx) => {
    const problem = jwtKeyProblem(config.algorithm, config.key);
    if (problem) ctx.addIssue({ code: 'custom', path: ['key'], message: problem });
  });

const authSession = z.strictObject({
  type: z.literal('session'),
  /** Where to log in: an http(s) URL or a path joined to base_url. */
  login_url: urlOrPath,
  method: z.enum(['POST', 'PUT']).default('POST'),
  /** The credentials, sent as JSON (or as form fields with `format: form`). */
  body: z.record(z.string(), z.unknown()).default({}),
  format: z.enum(['json', 'form']).default('json'),
  /** Where the token is in the login response (`token`, `data.access_token`). */
  token_path: jsonPath,
  /** Header that carries the token on every request, and the text before it. */
  header: nonEmpty.default('Authorization'),
  prefix: z.string().default('Bearer '),
  /** Log in again after this long (besides after a 401); without it, only a 401 renews the session. */
  expires_in: duration.optional(),
});

export const authSchema = z.discriminatedUnion('type', [
  authNone,
  authBearer,
  authApiKey,
  authBasic,
  oauth2ClientCredentials,
  oauth2RefreshToken,
  authJwt,
  authSession,
]);

export type AuthConfig = z.output<typeof authSchema>;
export type AuthType = AuthConfig['type'];

/** Why a key cannot sign with an algorithm, checked when the file is validated rather than at the first request. */
function jwtKeyProblem(algorithm: (typeof JWT_ALGORITHMS)[number], key: string): string | undefined {
  if (algorithm === 'HS256') {
    // RFC 7518 §3.2: an HMAC key shorter than the hash output weakens the signature.
    return Buffer.byteLength(key) < 32 ? 'an HS256 key must be at least 32 bytes long' : undefined;
  }
  if (!key.includes('-----BEGIN'))
    return `${algorithm} needs a PEM private key (for example "\${file:./key.pem}")`;
  let type: string | undefined;
  let curve: string | undefined;
  try {
    const parsed = createPrivateKey(key);
    type = parsed.asymmetricKeyType;
    curve = parsed.asymmetricKeyDetails?.namedCurve;
  } catch {
    return 'not a readable PEM private key';
  }
  if (algorithm === 'RS256' && type !== 'rsa') return `RS256 needs an RSA private key, got ${type}`;
  if (algorithm === 'ES256' && (type !== 'ec' || curve !== 'prime256v1'))
    return `ES256 needs an EC P-256 private key, got ${type}${curve ? ` ${curve}` : ''}`;
  return undefined;
}
