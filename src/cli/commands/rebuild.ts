import { type Command, InvalidArgumentError } from 'commander';
import { loadPipelineFile } from '../../config/load.js';
import { rebuildPipeline } from '../../pipeline/rebuild.js';
import { loggerFor } from '../context.js';
import type { ExitCode } from '../exit-codes.js';
import { summary, worstExit } from './run.js';

export function registerRebuild(program: Command, setExit: (code: ExitCode) => void): void {
  program
    .command('rebuild')
    .description(
      're-derive silver tables (and child tables) from the raw pages in bronze, without calling the API',
    )
    .argument('<id>', 'a config id (every resource), or config.resource')
    .requiredOption(
      '-f, --file <pipeline>',
      'the pipeline file: its schema, selectors and parsers are applied',
    )
    .option('--from <date>', 'replay only pages fetched since this date or time (merge resources)', parseDate)
    .addHelpText(
      'after',
      `
Use it after changing a resource's schema, records path, casting rules, child tables or parser. Without
--from the tables are rebuilt whole and swapped in when complete (merge: every page, oldest first, deduplicated
by primary key; append: every page; replace: the pages of the latest successful load). With --from, the pages
fetched since then are merged into the tables as they are. Each resource is recorded as a REBUILD load in the
control table, with its own audit row.

Exit codes: 0 rebuilt, 2 bad usage or pipeline file, 4 a rebuild failed, 5 the destination could not be opened.

Examples:
  restlake rebuild shop -f shop.yaml
  restlake rebuild shop.customers -f shop.yaml --from 2024-06-01`,
    )
    .action(async (id: string, options: { file: string; from?: Date }, command: Command) => {
      const loaded = loadPipelineFile(options.file);
      const outcomes = await rebuildPipeline(loaded, id, {
        logger: loggerFor(command),
        ...(options.from ? { from: options.from } : {}),
      });
      process.stdout.write(`${summary(outcomes)}\n`);
      setExit(worstExit(outcomes));
    });
}

function parseDate(text: string): Date {
  const time = /^\d{4}-\d{2}-\d{2}(T.*)?$/.test(text)
    ? Date.parse(/T/.test(text) ? text : `${text}T00:00:00Z`)
    : Number.NaN;
  if (Number.isNaN(time))
    throw new InvalidArgumentError(`expected a date (2024-06-01) or an ISO time, got "${text}"`);
  return new Date(time);
}
