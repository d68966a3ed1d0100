import { dirname } from 'node:path';
import type { Command } from 'commander';
import { loadPipelineFile } from '../../config/load.js';
import { ConfigError } from '../../core/errors.js';
import { loadParsers } from '../../normalize/parser.js';
import { EXIT, type ExitCode } from '../exit-codes.js';

export function registerValidate(program: Command, setExit: (code: ExitCode) => void): void {
  program
    .command('validate')
    .description('check pipeline files without running them: every problem, with the key that holds it')
    .argument('<files...>', 'pipeline files (.yaml, .yml or .json)')
    .addHelpText(
      'after',
      `
Secret references (\${env:NAME}, \${file:path}) are resolved, so an unset variable is reported too.
Exits 0 when every file is valid, 2 otherwise. Nothing is connected to and nothing is written.

Example:
  restlake validate pipelines/*.yaml`,
    )
    .action(async (files: string[]) => {
      let failed = false;
      for (const file of files) {
        try {
          const loaded = loadPipelineFile(file);
          const { config } = loaded;
          // Parser modules are loaded too: a missing file or export is a problem of the pipeline file.
          await loadParsers(config, dirname(loaded.file), file);
          process.stdout.write(
            `ok  ${file}  (id ${config.id}, ${config.resources.length} resource${config.resources.length === 1 ? '' : 's'})\n`,
          );
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          failed = true;
          process.stdout.write(`${error.message}\n`);
        }
      }
      setExit(failed ? EXIT.usage : EXIT.ok);
    });
}
