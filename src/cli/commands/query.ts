import type { Command } from 'commander';
import { openWorkspaceFrom, type WorkspaceOptions, withWorkspaceOptions } from '../context.js';
import { formatTable } from '../table.js';

export function registerQuery(program: Command): void {
  withWorkspaceOptions(
    program
      .command('query')
      .description(
        'run SQL against the destination (inspect the DuckDB file without installing anything else)',
      )
      .argument('<sql>', 'the SQL to run')
      .option('--json', 'print rows as JSON lines instead of a table'),
  )
    .addHelpText(
      'after',
      `
Examples:
  restlake query "SELECT ConfigId, LoadType, LoadStatus, LastLoadTime FROM metadata.api_control_table"
  restlake query "SELECT address__city, count(*) FROM main.customers GROUP BY 1" --json`,
    )
    .action(async (sql: string, options: WorkspaceOptions & { json?: boolean }) => {
      const workspace = await openWorkspaceFrom(options);
      try {
        const result = await workspace.destination.query(sql);
        const text = options.json
          ? result.rows.map((row) => JSON.stringify(row)).join('\n')
          : `${formatTable(result.columns, result.rows, 80)}\n(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`;
        process.stdout.write(`${text}\n`);
      } finally {
        await workspace.close();
      }
    });
}
