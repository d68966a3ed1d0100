import type { Command } from 'commander';
import { loadPipelines } from '../../config/discover.js';
import type { LoadOutcome } from '../../pipeline/run-load.js';
import { DEFAULT_POLL_MS, DEFAULT_WORKER_LEASE_MS, runWorker } from '../../pipeline/worker.js';
import { loggerFor } from '../context.js';
import type { ExitCode } from '../exit-codes.js';
import { parseDurationOption, stopOnSignals } from '../options.js';
import { parsePositive, summary, worstExit } from './run.js';

export function registerWorker(program: Command, setExit: (code: ExitCode) => void): void {
  program
    .command('worker')
    .description('claim and run the due loads of pipeline files from their control plane, until stopped')
    .argument('<paths...>', 'pipeline files, or folders of them (.yaml, .yml, .json)')
    .option('-c, --concurrency <n>', 'loads this process runs at once', parsePositive, 1)
    .option(
      '--poll <duration>',
      'wait this long before looking again when nothing is due (default: 5s)',
      parseDurationOption,
    )
    .option(
      '--lease <duration>',
      'a claimed load is taken over by another worker this long after this one stops heartbeating (default: 1m)',
      parseDurationOption,
    )
    .option(
      '--exit-when-idle',
      'exit once nothing of these pipelines is due or running anywhere (cron, tests)',
    )
    .addHelpText(
      'after',
      `
Any number of workers, on any number of machines, may share one PostgreSQL control plane
(\`control: { type: postgres, ... }\` or a postgres destination): each load is claimed by exactly one of
them. A worker knows how to run the ConfigIds of the files it is given, and claims only those.

A worker that dies leaves its load RUNNING until the lease expires; another worker then takes it over and
resumes from its last committed batch. SIGTERM or Ctrl-C stops cleanly: the current batch is committed, the
load handed back (PENDING) for the next worker, and the process exits 0. A second signal exits at once.

A DuckDB file admits one process: with a DuckDB control plane, run a single worker (or use \`restlake run\`).

Examples:
  restlake plan pipelines/ && restlake worker pipelines/ --concurrency 4
  restlake worker pipelines/ --exit-when-idle          # drain what is due, then exit`,
    )
    .action(
      async (
        paths: string[],
        options: { concurrency: number; poll?: number; lease?: number; exitWhenIdle?: boolean },
        command: Command,
      ) => {
        const pipelines = loadPipelines(paths);
        const logger = loggerFor(command);
        const stop = stopOnSignals(logger);
        let outcomes: LoadOutcome[];
        try {
          outcomes = await runWorker(pipelines, {
            concurrency: options.concurrency,
            pollMs: options.poll ?? DEFAULT_POLL_MS,
            leaseMs: options.lease ?? DEFAULT_WORKER_LEASE_MS,
            exitWhenIdle: options.exitWhenIdle === true,
            signal: stop.signal,
            logger,
          });
        } finally {
          stop.dispose();
        }
        if (outcomes.length > 0) process.stdout.write(`${summary(outcomes)}\n`);
        // A load handed back on a signal is not a failure.
        setExit(worstExit(outcomes.filter((o) => !(stop.signal.aborted && o.error?.code === 'CANCELLED'))));
      },
    );
}
