import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { loadPipelineFile } from '../../config/load.js';
import { openWorkspace, runPipeline } from '../../pipeline/runner.js';
import { startSampleApi } from '../../sample-api/server.js';
import { loggerFor } from '../context.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { terminalProgress } from '../progress.js';
import { formatTable } from '../table.js';
import { summary } from './run.js';

/** examples/ ships with the package, beside dist/. */
export function examplesDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../../examples');
}

export function registerDemo(program: Command, setExit: (code: ExitCode) => void): void {
  program
    .command('demo')
    .description('start the bundled sample API, load it into ./restlake.duckdb, and show what landed')
    .option('--db <path>', 'DuckDB file to load into', './restlake.duckdb')
    .addHelpText(
      'after',
      '\nRuns examples/sample-api.yaml. Run it again: merges and the replace are idempotent.',
    )
    .action(async (options: { db: string }, command: Command) => {
      const api = await startSampleApi();
      try {
        process.env.RESTLAKE_SAMPLE_URL = api.url;
        process.env.RESTLAKE_SAMPLE_TOKEN = api.token ?? '';
        const file = join(examplesDir(), 'sample-api.yaml');
        if (!existsSync(file)) throw new Error(`the demo pipeline is missing: ${file}`);
        const loaded = loadPipelineFile(file);
        const db = resolve(options.db);
        const config = { ...loaded.config, destination: { ...loaded.config.destination, path: db } };
        const progress = terminalProgress();
        process.stdout.write(`sample API on ${api.url}; loading ${file}\ninto ${db}\n\n`);
        const outcomes = await runPipeline(
          { config, file: loaded.file },
          {
            logger: loggerFor(command, progress ? 'warn' : 'info'),
            ...(progress ? { onProgress: progress } : {}),
          },
        );
        process.stdout.write(`${summary(outcomes)}\n\n`);
        await showWhatLanded(config.destination, db);
        setExit(outcomes.every((o) => o.status === 'SUCCESS') ? EXIT.ok : EXIT.loadFailed);
      } finally {
        await api.close();
      }
    });
}

async function showWhatLanded(destination: Parameters<typeof openWorkspace>[0], db: string): Promise<void> {
  const workspace = await openWorkspace(destination, process.cwd());
  try {
    const tables = await workspace.destination.query(
      `SELECT schema_name || '.' || table_name AS "table", estimated_size AS "rows"
       FROM duckdb_tables() WHERE schema_name IN ('main', 'bronze', 'metadata') ORDER BY 1`,
    );
    const control = await workspace.destination.query(
      `SELECT IndexNo, ConfigId, ResourceName, LoadType, LoadStatus, LastLoadTime FROM metadata.api_control_table ORDER BY IndexNo DESC LIMIT 6`,
    );
    const relative = db.startsWith(process.cwd()) ? `.${db.slice(process.cwd().length)}` : db;
    const dbFlag = relative === './restlake.duckdb' ? '' : ` --db ${relative}`;
    process.stdout.write(
      [
        'Tables:',
        formatTable(tables.columns, tables.rows),
        '',
        'Control table (latest rows; the PENDING ones are the next loads):',
        formatTable(control.columns, control.rows),
        '',
        'Try:',
        `  restlake query "SELECT address__city, count(*) AS customers, sum(balance) AS balance FROM main.customers GROUP BY 1 ORDER BY 2 DESC"${dbFlag}`,
        `  restlake query "SELECT type, count(*) FROM main.events GROUP BY 1"${dbFlag}`,
        `  restlake status${dbFlag}`,
        `  restlake audit${dbFlag}`,
        '',
      ].join('\n'),
    );
  } finally {
    await workspace.close();
  }
}
