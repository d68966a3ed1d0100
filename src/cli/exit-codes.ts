import type { ErrorCode } from '../core/errors.js';

/** The process exit codes, documented in the README; derived from error codes, never chosen ad hoc. */
export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  auth: 3,
  loadFailed: 4,
  unreachable: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export function exitCodeFor(code: ErrorCode): ExitCode {
  switch (code) {
    case 'CONFIG_INVALID':
    case 'CONFIG_NOT_FOUND':
    case 'USAGE':
    case 'SECRET_UNRESOLVED':
      return EXIT.usage;
    case 'AUTH_FAILED':
      return EXIT.auth;
    case 'DESTINATION_UNREACHABLE':
      return EXIT.unreachable;
    case 'INTERNAL':
      return EXIT.unexpected;
    default:
      return EXIT.loadFailed;
  }
}
