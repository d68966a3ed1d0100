import { HttpError } from '../../core/errors.js';
import { redact, registerSecret } from '../../core/redact.js';
import type { Token } from './token-cache.js';
import type { TokenTransport } from './types.js';

/** The client part of an OAuth2 token request, common to the grants restlake supports. */
export interface OAuth2Client {
  token_url: string;
  client_id?: string | undefined;
  client_secret?: string | undefined;
  client_auth: 'form' | 'basic';
  scopes: string[];
  params: Record<string, string>;
}

export interface OAuth2Token extends Token {
  /** A new refresh token, when the server rotates them. */
  refreshToken: string | undefined;
}

/** The secrets of a client; the basic form is registered too, so its base64 is masked in any echo. */
export function registerClientSecrets(client: OAuth2Client): void {
  registerSecret(client.client_secret);
  if (client.client_secret !== undefined)
    registerSecret(
      `${encodeURIComponent(client.client_id ?? '')}:${encodeURIComponent(client.client_secret)}`,
    );
}

/**
 * POSTs a grant to the token endpoint (RFC 6749 §4.4, §6) and reads the access token (§5.1). The client
 * authenticates with form fields or HTTP basic (§2.3.1: id and secret form-encoded, then base64). A 4xx
 * answer (§5.2: `invalid_client`, `invalid_grant`...) is an authentication failure naming the endpoint and
 * the error; transient failures were already retried by the transport.
 */
export async function requestToken(
  via: TokenTransport,
  client: OAuth2Client,
  grant: Record<string, string>,
  now: number,
): Promise<OAuth2Token> {
  const form: Record<string, string> = { ...grant, ...client.params };
  if (client.scopes.length > 0) form.scope = client.scopes.join(' ');
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (client.client_id !== undefined) {
    if (client.client_auth === 'basic') {
      const pair = `${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret ?? '')}`;
      headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
    } else {
      form.client_id = client.client_id;
      if (client.client_secret !== undefined) form.client_secret = client.client_secret;
    }
  }
  const response = await via({
    method: 'POST',
    url: client.token_url,
    headers,
    body: new URLSearchParams(form).toString(),
  });
  const body = (response.body ?? {}) as Record<string, unknown>;
  if (response.status < 200 || response.status >= 300) {
    const reason = typeof body.error === 'string' ? `: ${body.error}` : '';
    const description = typeof body.error_description === 'string' ? ` (${body.error_description})` : '';
    throw new HttpError(
      'AUTH_FAILED',
      redact(`token request to ${response.url} answered ${response.status}${reason}${description}`),
      { status: response.status, context: { url: response.url } },
    );
  }
  if (typeof body.access_token !== 'string' || body.access_token === '') {
    throw new HttpError('AUTH_FAILED', `the token response from ${response.url} has no access_token`, {
      status: response.status,
      context: { url: response.url },
    });
  }
  const expiresIn = Number(body.expires_in);
  const refreshToken = typeof body.refresh_token === 'string' ? body.refresh_token : undefined;
  registerSecret(refreshToken);
  return {
    value: body.access_token,
    expiresAt: Number.isFinite(expiresIn) && expiresIn > 0 ? now + expiresIn * 1_000 : undefined,
    refreshToken,
  };
}
