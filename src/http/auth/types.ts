/** What an auth strategy may change on a request before it is sent. */
export interface OutgoingRequest {
  headers: Record<string, string>;
  query: Record<string, string>;
}

/**
 * One way of authenticating. Strategies that hold expiring credentials (OAuth2, JWT) implement `refresh`:
 * the client calls it once when the server answers 401, then retries the request a single time.
 */
export interface AuthStrategy {
  /** AuthMethod in the control table: `bearer`, `api_key`, ... */
  readonly method: string;
  apply(request: OutgoingRequest): void | Promise<void>;
  refresh?(): Promise<boolean>;
}
