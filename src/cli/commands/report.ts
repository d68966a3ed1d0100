import { type Command, InvalidArgumentError } from 'commander';
import { type RequestSummary, requestReport } from '../../control/request-log.js';
import { systemClock } from '../../core/clock.js';
import { formatDuration, parseDuration } from '../../core/duration.js';
import { openWorkspaceFrom, type WorkspaceOptions, withWorkspaceOptions } from '../context.js';
import { formatTable } from '../table.js';

export function registerReport(program: Command): void {
  withWorkspaceOptions(
    program
      .command('report')
      .description(
        'API performance of a config from its request log: requests, success rate, latency, errors, waits',
      )
      .argument('<id>', 'a config id, or config.resource')
      .option('--since <duration>', 'how far back (30m, 24h, 7d)', parseSince, '7d')
      .option('--json', 'print the report as JSON'),
  )
    .addHelpText(
      'after',
      `
One line per resource (its token or login requests apart, as "resource (auth)") and a total: requests
(every attempt), the share answered 2xx, p50/p95 latency, time waited on rate limits (the configured one
and the server's Retry-After / X-RateLimit signals), time waited on retry backoff, bytes, and the failed
attempts by status or error code.

Example:
  restlake report customers_daily --since 24h -f customers.yaml`,
    )
    .action(async (id: string, options: WorkspaceOptions & { since: string; json?: boolean }) => {
      const since = new Date(systemClock.now().getTime() - parseDuration(options.since)!);
      const workspace = await openWorkspaceFrom(options);
      try {
        const summaries = await requestReport(workspace.control.sql, id, since);
        process.stdout.write(
          `${options.json ? JSON.stringify(summaries, null, 2) : format(id, options.since, summaries)}\n`,
        );
      } finally {
        await workspace.close();
      }
    });
}

function format(id: string, since: string, summaries: readonly RequestSummary[]): string {
  if (summaries.length === 0) return `no requests of ${id} in the last ${since}`;
  const rows = summaries.map((s) => ({
    resource: s.resource,
    requests: s.requests,
    success: s.requests === 0 ? '' : `${((100 * s.succeeded) / s.requests).toFixed(1)}%`,
    p50: s.p50Ms === null ? '' : formatDuration(s.p50Ms),
    p95: s.p95Ms === null ? '' : formatDuration(s.p95Ms),
    'rate-limit wait': formatDuration(s.rateLimitWaitMs),
    backoff: formatDuration(s.backoffMs),
    bytes: formatBytes(s.bytes),
    errors: Object.entries(s.errors)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([outcome, n]) => `${outcome}×${n}`)
      .join(' '),
  }));
  return `requests of ${id} in the last ${since}\n\n${formatTable(Object.keys(rows[0]!), rows, 80)}`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

function parseSince(text: string): string {
  if (parseDuration(text) === undefined)
    throw new InvalidArgumentError(`expected a duration such as 30m, 24h or 7d, got "${text}"`);
  return text;
}
