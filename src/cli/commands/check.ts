import { dirname } from 'node:path';
import type { Command } from 'commander';
import { loadPipelineFile } from '../../config/load.js';
import { formatDuration } from '../../core/duration.js';
import { loadParsers } from '../../normalize/parser.js';
import { checkPipeline, type Probe } from '../../pipeline/check.js';
import { EXIT, type ExitCode, exitCodeFor } from '../exit-codes.js';
import { formatTable } from '../table.js';

export function registerCheck(program: Command, setExit: (code: ExitCode) => void): void {
  program
    .command('check')
    .description('call each source once (first page of every resource, or source.health_check) and report')
    .argument('<files...>', 'pipeline files (.yaml, .yml or .json)')
    .option('--json', 'print the results as JSON')
    .addHelpText(
      'after',
      `
One attempt per call, no retries, nothing written. Reports the status, latency, records on the first page
and any rate-limit headers; a failure gets a reason: DNS, connection refused, timeout, TLS, authentication
(401), forbidden (403), not found (404), rate limited, server error, bad JSON.

Exit codes: 0 every call succeeded, 2 bad pipeline file, 3 every failure was an authentication failure,
4 some call failed.

Example:
  restlake check pipelines/customers.yaml`,
    )
    .action(async (files: string[], options: { json?: boolean }) => {
      const pipelines = files.map((file) => loadPipelineFile(file));
      const probes: Probe[] = [];
      for (const { config, file } of pipelines) {
        const parsers = await loadParsers(config, dirname(file), file);
        probes.push(...(await checkPipeline(config, { parsers })));
      }
      process.stdout.write(`${options.json ? JSON.stringify(probes, null, 2) : report(probes)}\n`);
      setExit(exitFor(probes));
    });
}

function report(probes: readonly Probe[]): string {
  const rows = probes.map((p) => ({
    config: p.config,
    call: p.target,
    result: p.ok ? 'ok' : p.failure!.class,
    status: p.status ?? '',
    latency: p.latencyMs === undefined ? '' : formatDuration(p.latencyMs),
    records: p.records ?? '',
    auth: p.auth,
    'rate limit': Object.entries(p.rateLimit)
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
  }));
  const failures = probes.filter((p) => !p.ok).map((p) => `✗ ${p.config}.${p.target}: ${p.failure!.reason}`);
  const verdict =
    failures.length === 0
      ? `all ${probes.length} call${probes.length === 1 ? '' : 's'} succeeded`
      : `${failures.length} of ${probes.length} call${probes.length === 1 ? '' : 's'} failed:\n${failures.join('\n')}`;
  return `${formatTable(Object.keys(rows[0] ?? { config: '' }), rows, 80)}\n\n${verdict}`;
}

function exitFor(probes: readonly Probe[]): ExitCode {
  const codes = probes.filter((p) => !p.ok).map((p) => exitCodeFor(p.failure!.code));
  if (codes.length === 0) return EXIT.ok;
  return codes.every((c) => c === EXIT.auth) ? EXIT.auth : EXIT.loadFailed;
}
