import type { RestlakeError } from '../core/errors.js';

/** What kind of thing went wrong with a request, as `restlake check` reports it. */
export type FailureClass =
  | 'dns'
  | 'refused'
  | 'timeout'
  | 'tls'
  | 'network'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'rate_limited'
  | 'server_error'
  | 'rejected'
  | 'bad_json'
  | 'too_large'
  | 'circuit_open'
  | 'records'
  | 'other';

export interface Diagnosis {
  class: FailureClass;
  /** One line a person can act on: what happened and what to check. */
  reason: string;
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL']);
const TLS_CODE = /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_OSSL)/;

/** Classifies a failed request (or a first page that could not be read) into a reason with a hint. */
export function diagnose(error: RestlakeError): Diagnosis {
  const code = typeof error.context.code === 'string' ? error.context.code : undefined;
  const status = typeof error.context.status === 'number' ? error.context.status : statusOf(error);
  const url = typeof error.context.url === 'string' ? error.context.url : undefined;
  const host = url ? safeHost(url) : 'the host';
  switch (error.code) {
    case 'HTTP_NETWORK':
      if (code && DNS_CODES.has(code))
        return { class: 'dns', reason: `DNS: ${host} could not be resolved (${code}); check base_url` };
      if (code === 'ECONNREFUSED')
        return {
          class: 'refused',
          reason: `connection refused by ${host}: is the API up, and the port right?`,
        };
      if (code && TLS_CODE.test(code)) return { class: 'tls', reason: `TLS: ${error.message}` };
      return { class: 'network', reason: `network: ${error.message}` };
    case 'HTTP_TIMEOUT':
      return { class: 'timeout', reason: `timeout: ${error.message}` };
    case 'AUTH_FAILED':
      if (status === 403)
        return {
          class: 'forbidden',
          reason: `forbidden (403): the credentials were accepted but do not allow this; check scopes and permissions: ${error.message}`,
        };
      return {
        class: 'unauthorized',
        reason: `authentication failed${status ? ` (${status})` : ''}: the credentials were rejected; check source.auth: ${error.message}`,
      };
    case 'HTTP_STATUS':
      if (status === 404)
        return {
          class: 'not_found',
          reason: `not found (404): check base_url and the path: ${error.message}`,
        };
      if (status === 429) return { class: 'rate_limited', reason: `rate limited (429): ${error.message}` };
      if (status !== undefined && status >= 500)
        return { class: 'server_error', reason: `server error (${status}): ${error.message}` };
      return { class: 'rejected', reason: `request rejected (${status ?? '?'}): ${error.message}` };
    case 'RATE_LIMITED':
      return { class: 'rate_limited', reason: `rate limited: ${error.message}` };
    case 'HTTP_BAD_BODY':
      return { class: 'bad_json', reason: `bad JSON: ${error.message}` };
    case 'HTTP_TOO_LARGE':
      return { class: 'too_large', reason: `too large: ${error.message}` };
    case 'CIRCUIT_OPEN':
      return { class: 'circuit_open', reason: error.message };
    case 'SELECTOR':
    case 'PAGINATION':
      return { class: 'records', reason: `the response does not fit the resource: ${error.message}` };
    default:
      return { class: 'other', reason: error.message };
  }
}

function statusOf(error: RestlakeError): number | undefined {
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the host';
  }
}
