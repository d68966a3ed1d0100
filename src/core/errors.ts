/**
 * One error base class for everything restlake raises on purpose. The `code` is stable (tests, exit codes
 * and users' alerting match on it), the `kind` tells the caller what to do about it.
 */

export type ErrorKind =
  /** Do not try again without a change (bad config, 404, freeze-contract violation). */
  | 'fatal'
  /** Transient: trying again later may succeed (5xx, timeouts, a lost connection). */
  | 'retry';

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'USAGE'
  | 'SECRET_UNRESOLVED'
  | 'AUTH_FAILED'
  | 'HTTP_STATUS'
  | 'HTTP_NETWORK'
  | 'HTTP_TIMEOUT'
  | 'HTTP_BAD_BODY'
  | 'HTTP_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'CIRCUIT_OPEN'
  | 'PAGINATION'
  | 'TEMPLATE'
  | 'GRAPHQL'
  | 'SELECTOR'
  | 'CAST'
  | 'NESTING_TOO_DEEP'
  | 'SCHEMA_CONTRACT'
  | 'DESTINATION'
  | 'DESTINATION_UNREACHABLE'
  | 'CONTROL'
  | 'LEASE_HELD'
  | 'LOAD_FAILED'
  | 'CANCELLED'
  | 'INTERNAL';

export interface ErrorOptions {
  kind?: ErrorKind;
  cause?: unknown;
  /** What a user needs to act: ids, paths, statuses. Never secrets (messages are redacted anyway). */
  context?: Record<string, unknown>;
}

export class RestlakeError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly context: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.kind = options.kind ?? 'fatal';
    this.context = options.context ?? {};
  }
}

/** One problem in a pipeline file, located by its key path (`resources[0].paginator.type`). */
export interface ConfigIssue {
  path: string;
  message: string;
}

export class ConfigError extends RestlakeError {
  readonly issues: readonly ConfigIssue[];
  readonly file: string | undefined;

  constructor(issues: readonly ConfigIssue[], file?: string, code: ErrorCode = 'CONFIG_INVALID') {
    const where = file ? `${file}: ` : '';
    const lines = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
    super(
      code,
      `${where}${issues.length === 1 ? 'invalid pipeline file' : `${issues.length} problems`}\n  ${lines.join('\n  ')}`,
      {
        context: { file },
      },
    );
    this.issues = issues;
    this.file = file;
  }
}

export class HttpError extends RestlakeError {
  readonly status: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: ErrorOptions & { status?: number | undefined } = {},
  ) {
    super(code, message, options);
    this.status = options.status;
  }
}

export function isRestlakeError(error: unknown): error is RestlakeError {
  return error instanceof RestlakeError;
}

/** Wraps anything thrown into a RestlakeError so callers can rely on `code` and `kind`. */
export function toRestlakeError(error: unknown): RestlakeError {
  if (error instanceof RestlakeError) return error;
  if (error instanceof Error) return new RestlakeError('INTERNAL', error.message, { cause: error });
  return new RestlakeError('INTERNAL', String(error));
}

/** A message with the chain of causes, for logs and the control table's ErrorMessage. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    if (message && !parts.some((p) => p.includes(message))) parts.push(message);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': caused by: ');
}
