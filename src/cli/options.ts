import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../core/duration.js';
import type { Logger } from '../core/logger.js';

/** `--poll 500ms`, `--lease 2m`, or a number of milliseconds. */
export function parseDurationOption(text: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) : parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new InvalidArgumentError(`expected a duration such as 500ms, 30s or 5m, got "${text}"`);
  return ms;
}

/**
 * SIGTERM and SIGINT (Ctrl-C) abort the returned signal: running loads commit their current batch and are
 * handed back (PENDING) instead of being left RUNNING until their lease expires. Listening `once` leaves a
 * second signal its default effect: the process ends at once.
 */
export function stopOnSignals(logger: Logger): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    logger.warn({ signal }, 'stopping: committing the current batches and handing the loads back');
    controller.abort();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.removeListener('SIGTERM', onSignal);
      process.removeListener('SIGINT', onSignal);
    },
  };
}
