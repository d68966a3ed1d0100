import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../core/duration.js';

/** `--poll 500ms`, `--lease 2m`, or a number of milliseconds. */
export function parseDurationOption(text: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) : parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new InvalidArgumentError(`expected a duration such as 500ms, 30s or 5m, got "${text}"`);
  return ms;
}
