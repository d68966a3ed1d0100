import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { ConfigIssue } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';

const REFERENCE = /\$\{(env|file):([^}]*)\}/g;
/** Keys whose literal values are secrets even when written inline rather than as a reference. */
const SECRET_KEYS = /^(token|key|password|secret|client_secret|refresh_token|private_key|api_key)$/i;

export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`))
    .join('');
}

/**
 * Keys whose values are never credentials but ordinary data (a start date, a file name): a value resolved
 * there is not a secret, or it would be masked wherever the data holds it, in every record of every table.
 */
const PLAIN_KEYS = /^(resources\.(window\.start|incremental\.(start|end))|destination\.path)$/;

/**
 * A number of a few digits (a page size, a year, an account id) is not a credential outside `source.auth`,
 * headers, the destination and secret-looking keys: registered, it would mask those digits inside every number
 * of the data.
 */
const SHORT_NUMBER = /^\d{1,7}$/;

/**
 * Replaces `${env:NAME}` and `${file:path}` in every string of a parsed pipeline file, anywhere in the string
 * (`postgres://app:${env:PGPASSWORD}@db/x`). Every resolved value is registered as a secret (but under
 * `PLAIN_KEYS`, a `SHORT_NUMBER`, and see `baseUrlSecrets`), and so is every literal value under a
 * secret-looking key. A file path is relative to the pipeline file; its content is trimmed of a trailing
 * newline.
 */
export function resolveSecrets(
  value: unknown,
  baseDir: string,
  issues: ConfigIssue[],
  path: PropertyKey[] = [],
): unknown {
  if (typeof value === 'string') {
    const keys = path.filter((part) => typeof part === 'string').join('.');
    const references: (string | undefined)[] = [];
    const resolved = value.replace(REFERENCE, (_match, kind: string, name: string) => {
      const secret =
        kind === 'env' ? readEnv(name, path, issues) : readSecretFile(name, baseDir, path, issues);
      references.push(secret);
      return secret ?? '';
    });
    const key = path[path.length - 1];
    // Under `schema` a key is a column name: `token: string` declares a column, it holds no token.
    const secretKey = typeof key === 'string' && SECRET_KEYS.test(key) && path[path.length - 2] !== 'schema';
    if (keys === 'source.base_url') {
      for (const secret of baseUrlSecrets(resolved, references)) registerSecret(secret);
    } else if (!PLAIN_KEYS.test(keys)) {
      const credentials = secretKey || /^(source\.auth|destination)\b|\bheaders\b/.test(keys);
      for (const secret of references) {
        if (credentials || !SHORT_NUMBER.test(secret ?? '')) registerSecret(secret);
      }
    }
    if (secretKey) registerSecret(resolved);
    return resolved;
  }
  if (Array.isArray(value))
    return value.map((item, i) => resolveSecrets(item, baseDir, issues, [...path, i]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        resolveSecrets(item, baseDir, issues, [...path, key]),
      ]),
    );
  }
  return value;
}

function readEnv(name: string, path: PropertyKey[], issues: ConfigIssue[]): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    issues.push({
      path: formatPath(path),
      message: `\${env:${name}} is not a valid environment variable name`,
    });
    return undefined;
  }
  const value = process.env[name];
  if (value === undefined) {
    issues.push({
      path: formatPath(path),
      message: `environment variable ${name} is not set (referenced as \${env:${name}})`,
    });
  }
  return value;
}

function readSecretFile(
  name: string,
  baseDir: string,
  path: PropertyKey[],
  issues: ConfigIssue[],
): string | undefined {
  const file = isAbsolute(name) ? name : resolve(baseDir, name);
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    issues.push({
      path: formatPath(path),
      message: `secret file ${name} ${reason} (referenced as \${file:${name}})`,
    });
    return undefined;
  }
}

/**
 * The secrets of `source.base_url`: its password and query values, and each value resolved into it
 * except a whole URL (`${env:API_URL}`) or a part of its scheme, host and port (`https://${env:HOST}/v1`).
 * A base URL read from the environment would otherwise mask every URL an API returns in its records, while a
 * token in its path (`https://api.telegram.org/bot${env:TOKEN}`) stays masked. Text that is not a URL keeps
 * every resolved value secret.
 */
function baseUrlSecrets(
  resolved: string,
  references: readonly (string | undefined)[],
): (string | undefined)[] {
  let url: URL;
  try {
    url = new URL(resolved);
  } catch {
    return [...references];
  }
  const origin = `${url.protocol}//${url.host}`;
  return [
    decodeURIComponent(url.password),
    ...url.searchParams.values(),
    ...references.filter((value) => value !== resolved && !origin.includes(value ?? '')),
  ];
}
