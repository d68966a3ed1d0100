/** What an auth strategy may change on a request before it is sent. */
export interface OutgoingRequest {
  headers: Record<string, string>;
  query: Record<string, string>;
}

/** A token or login request, sent for a strategy by the source's HTTP client. */
export interface TokenRequest {
  method: 'POST' | 'PUT';
  /** An absolute URL, or a path joined to the source's base URL. */
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface TokenResponse {
  status: number;
  /** The URL with credentials masked. */
  url: string;
  /** The parsed JSON body (undefined when it was not JSON). */
  body: unknown;
  text: string;
}

/**
 * Sends a token request with the source's timeouts, size limit, retries of transient failures and telemetry,
 * but without auth or the rate limit (token endpoints are usually another service). Only `http/` talks to
 * the network, so strategies get this rather than a client of their own.
 */
export type TokenTransport = (request: TokenRequest) => Promise<TokenResponse>;

/**
 * One way of authenticating. `apply` adds credentials and returns their generation; strategies whose
 * credentials can be renewed (OAuth2, JWT, session) implement `renew`, which the client calls once per request
 * when the server answers 401 with credentials of that generation, then retries the request a single time.
 */
export interface AuthStrategy {
  /** AuthMethod in the control table: `bearer`, `api_key_header`, `oauth2_client_credentials`, ... */
  readonly method: string;
  apply(request: OutgoingRequest, via: TokenTransport): number | Promise<number>;
  renew?(generation: number, via: TokenTransport): Promise<void>;
}
