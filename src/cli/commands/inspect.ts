import type { Command } from 'commander';
import { systemClock } from '../../core/clock.js';
import { openWorkspaceFrom, type WorkspaceOptions, withWorkspaceOptions } from '../context.js';
import { formatTable } from '../table.js';
import { parsePositive } from './run.js';

/** `status`, `audit` and `retry`: the control plane, read and nudged from the command line. */
export function registerInspect(program: Command): void {
  withWorkspaceOptions(
    program
      .command('status')
      .description('show the latest loads from the control table (of one config, or config.resource)')
      .argument('[id]', 'a config id, or config.resource')
      .option('-n, --limit <n>', 'how many loads', parsePositive, 20),
  )
    .addHelpText('after', '\nExample:\n  restlake status customers_daily')
    .action(async (id: string | undefined, options: WorkspaceOptions & { limit: number }) => {
      const workspace = await openWorkspaceFrom(options);
      try {
        const rows = await workspace.control.loads(id, options.limit);
        print(
          rows.length === 0
            ? `no loads${id ? ` for ${id}` : ''} yet`
            : formatTable(
                STATUS_COLUMNS,
                rows.map((r) => ({ ...r, Resource: r.ResourceName })),
              ),
        );
      } finally {
        await workspace.close();
      }
    });

  withWorkspaceOptions(
    program
      .command('audit')
      .description('show the audit trail: one row per attempt, with row counts, duration and errors')
      .argument('[id]', 'a config id, or config.resource')
      .option('-n, --limit <n>', 'how many attempts', parsePositive, 20),
  )
    .addHelpText('after', '\nExample:\n  restlake audit customers_daily -n 5')
    .action(async (id: string | undefined, options: WorkspaceOptions & { limit: number }) => {
      const workspace = await openWorkspaceFrom(options);
      try {
        const rows = await workspace.control.audits(id, options.limit);
        print(
          rows.length === 0
            ? `no attempts${id ? ` for ${id}` : ''} yet`
            : formatTable(AUDIT_COLUMNS, rows as unknown as Record<string, unknown>[]),
        );
      } finally {
        await workspace.close();
      }
    });

  withWorkspaceOptions(
    program
      .command('retry')
      .description(
        'queue the FAILED loads of a config again (they resume from their checkpoint on the next run)',
      )
      .argument('<id>', 'a config id, or config.resource'),
  )
    .addHelpText('after', '\nExample:\n  restlake retry customers_daily && restlake run customers_daily.yaml')
    .action(async (id: string, options: WorkspaceOptions) => {
      const workspace = await openWorkspaceFrom(options);
      try {
        const count = await workspace.control.retry(id, systemClock.now());
        print(
          count === 0
            ? `no FAILED loads for ${id}`
            : `${count} load${count === 1 ? '' : 's'} of ${id} queued again (PENDING); \`restlake run\` or a worker will resume ${count === 1 ? 'it' : 'them'}`,
        );
      } finally {
        await workspace.close();
      }
    });
}

const STATUS_COLUMNS = [
  'IndexNo',
  'ConfigId',
  'Resource',
  'LoadType',
  'LoadStatus',
  'LoadStartTime',
  'LoadEndTime',
  'LastLoadTime',
  'AttemptCount',
  'LastUpdatedTime',
  'ErrorMessage',
];

const AUDIT_COLUMNS = [
  'AuditId',
  'IndexNo',
  'ConfigId',
  'ResourceName',
  'LoadType',
  'LoadStatus',
  'Attempt',
  'SourceRowCount',
  'TargetRowCount',
  'TargetTotalRowCount',
  'RunDuration',
  'RequestCount',
  'RetryCount',
  'LoggedAt',
  'ErrorMessage',
];

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}
