import type { Command } from 'commander';
import { loadPipelines } from '../../config/discover.js';
import { planPipelines } from '../../pipeline/worker.js';
import { formatTable } from '../table.js';

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('make the due loads of pipeline files PENDING in their control plane, for workers to run')
    .argument('<paths...>', 'pipeline files, or folders of them (.yaml, .yml, .json)')
    .option('--retry-failed', 'queue FAILED loads again too (they resume from their checkpoints)')
    .addHelpText(
      'after',
      `
Every resource without an open load gets a PENDING one (FULL_LOAD the first time, INCREMENTAL from its
high-water mark after that); a resource whose load is already PENDING, RUNNING or FAILED gets nothing new,
so running plan twice, or from two machines, plans nothing twice. A pipeline with a schedule plans its next
load itself when one succeeds (due at the next cron tick); one without a schedule is loaded again when plan
is run again. Nothing is fetched: \`restlake worker\` runs what plan queued.

Example (from cron, on one machine):
  */5 * * * *  restlake plan /etc/restlake/pipelines`,
    )
    .action(async (paths: string[], options: { retryFailed?: boolean }) => {
      const pipelines = loadPipelines(paths);
      const { planned, requeued } = await planPipelines(pipelines, {
        retryFailed: options.retryFailed === true,
      });
      const lines: string[] = [];
      if (requeued > 0) lines.push(`${requeued} FAILED load${requeued === 1 ? '' : 's'} queued again`);
      lines.push(
        planned.length === 0
          ? `nothing to plan: every resource of ${pipelines.length} pipeline file${pipelines.length === 1 ? '' : 's'} already has an open load`
          : formatTable(
              ['IndexNo', 'ConfigId', 'ResourceName', 'LoadType', 'LoadStatus', 'TriggerScheduleTime'],
              planned as unknown as Record<string, unknown>[],
            ),
      );
      if (planned.length > 0) lines.push(`${planned.length} load${planned.length === 1 ? '' : 's'} planned`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
