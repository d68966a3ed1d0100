import { type Command, InvalidArgumentError } from 'commander';
import { loadPipelineFile } from '../../config/load.js';
import type { ControlRow } from '../../control/store.js';
import { formatDuration } from '../../core/duration.js';
import { describeError } from '../../core/errors.js';
import { redact } from '../../core/redact.js';
import type { LoadOutcome } from '../../pipeline/run-load.js';
import { runPipeline } from '../../pipeline/runner.js';
import { loggerFor } from '../context.js';
import { EXIT, type ExitCode, exitCodeFor } from '../exit-codes.js';
import { parseDurationOption, stopOnSignals } from '../options.js';
import { terminalProgress } from '../progress.js';
import { formatTable } from '../table.js';

export function registerRun(program: Command, setExit: (code: ExitCode) => void): void {
  program
    .command('run')
    .description('plan and run the due loads of one or more pipeline files, then print a summary')
    .argument('<files...>', 'pipeline files (.yaml, .yml or .json)')
    .option(
      '-c, --concurrency <n>',
      'loads of one pipeline run at once (default: one per resource, up to 4)',
      parsePositive,
    )
    .option(
      '--lease <duration>',
      'on a shared control plane, how long a load of a crashed run stays locked (default 5m)',
      parseDurationOption,
    )
    .addHelpText(
      'after',
      `
A new resource starts with a FULL_LOAD; a FAILED load is run again from its last checkpoint (no rows are
fetched twice); an incremental resource continues from its high-water mark. Ctrl-C or SIGTERM commits the
batch in flight and hands the load back (PENDING) for the next run (exit 4); a second one exits at once.
A load another process is running (PostgreSQL control plane, live lease) is left to it, and said so.

Exit codes: 0 every load succeeded (or is running elsewhere), 2 bad pipeline file, 3 authentication failed,
4 a load failed, 5 the destination could not be opened (a DuckDB file another process has open).

Example:
  restlake run pipelines/customers.yaml`,
    )
    .action(async (files: string[], options: { concurrency?: number; lease?: number }, command: Command) => {
      // Validate every file before running any, so a typo in the third file does not leave two loads done.
      const pipelines = files.map((file) => loadPipelineFile(file));
      const progress = terminalProgress();
      const logger = loggerFor(command, progress ? 'warn' : 'info');
      const outcomes: LoadOutcome[] = [];
      const elsewhere: ControlRow[] = [];
      const stop = stopOnSignals(logger);
      try {
        for (const loaded of pipelines) {
          if (stop.signal.aborted) break;
          outcomes.push(
            ...(await runPipeline(loaded, {
              logger,
              signal: stop.signal,
              ...(options.concurrency ? { concurrency: options.concurrency } : {}),
              ...(options.lease ? { leaseMs: options.lease } : {}),
              ...(progress ? { onProgress: progress } : {}),
              onRunningElsewhere: (loads) => elsewhere.push(...loads),
            })),
          );
        }
      } finally {
        stop.dispose();
      }
      if (outcomes.length > 0 || elsewhere.length === 0) process.stdout.write(`${summary(outcomes)}\n`);
      for (const row of elsewhere) process.stdout.write(`${runningElsewhere(row)}\n`);
      setExit(worstExit(outcomes));
    });
}

export function summary(outcomes: readonly LoadOutcome[]): string {
  if (outcomes.length === 0) return 'nothing to run: every load is done or running elsewhere';
  const rows = outcomes.map((o) => ({
    load: o.row.IndexNo,
    config: o.row.ConfigId,
    resource: o.resource,
    type: o.row.LoadType,
    status: o.status,
    pages: o.pages,
    records: o.sourceRows,
    written: o.targetRows,
    table_rows: o.totalRows ?? '',
    time: formatDuration(o.durationMs),
    error: o.error ? redact(describeError(o.error)) : '',
  }));
  return formatTable(Object.keys(rows[0]!), rows, 100);
}

/** `load 12 of orders.items is running on host:pid:id (lease until …); nothing to do here`. */
export function runningElsewhere(row: ControlRow): string {
  const until = row.LeaseExpiresAt ? new Date(row.LeaseExpiresAt).toISOString() : 'unknown';
  return `load ${row.IndexNo} of ${row.ConfigId}.${row.ResourceName} is running on ${row.LeaseOwner} (lease until ${until}); nothing to do here`;
}

export function worstExit(outcomes: readonly LoadOutcome[]): ExitCode {
  const codes = outcomes.filter((o) => o.error).map((o) => exitCodeFor(o.error!.code));
  if (codes.length === 0) return EXIT.ok;
  // A load that failed for an ordinary reason (4) outranks the specific classes, which may be partial.
  return codes.every((c) => c === codes[0]) && codes[0] !== EXIT.usage ? codes[0]! : EXIT.loadFailed;
}

export function parsePositive(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new InvalidArgumentError(`expected a positive whole number, got "${text}"`);
  return value;
}
