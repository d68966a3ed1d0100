import { pino } from 'pino';
import { redact } from './redact.js';

export type Logger = pino.Logger;
export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  level?: string;
  format?: LogFormat;
  /** Where lines go; stderr by default so that stdout stays for command output. */
  write?: (line: string) => void;
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};
const BASE_KEYS = new Set(['level', 'time', 'pid', 'hostname', 'msg']);

/** One short line per record for people at a terminal: `12:00:01 info  run finished  rows=1000`. */
function prettyLine(json: string): string {
  const record = JSON.parse(json) as Record<string, unknown>;
  const time = new Date(Number(record.time)).toISOString().slice(11, 19);
  const level = (LEVEL_NAMES[Number(record.level)] ?? 'info').padEnd(5);
  const fields = Object.entries(record)
    .filter(([key]) => !BASE_KEYS.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${time} ${level} ${String(record.msg ?? '')}${fields ? `  ${fields}` : ''}\n`;
}

/**
 * Structured logs; every line passes through `redact` after serialization, so a secret is masked wherever it
 * hides (a message, a nested field, an error's cause).
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const format = options.format ?? (process.stderr.isTTY ? 'pretty' : 'json');
  return pino(
    { level: options.level ?? 'info', base: null },
    { write: (line: string) => write(redact(format === 'pretty' ? prettyLine(line) : line)) },
  );
}

/** For library use and tests: logs nothing. */
export const silentLogger: Logger = pino({ level: 'silent' });
