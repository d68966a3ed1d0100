import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadPipelineFile } from '../config/load.js';
import { duckdbDestination } from '../config/schema.js';
import { RestlakeError } from '../core/errors.js';
import { createLogger, type LogFormat, type Logger } from '../core/logger.js';
import { openWorkspace, type Workspace } from '../pipeline/runner.js';

export interface GlobalOptions {
  logLevel?: string;
  logFormat?: LogFormat;
}

export function loggerFor(command: Command, defaultLevel = 'info'): Logger {
  const options = command.optsWithGlobals<GlobalOptions>();
  return createLogger({
    level: options.logLevel ?? defaultLevel,
    ...(options.logFormat ? { format: options.logFormat } : {}),
  });
}

export interface WorkspaceOptions {
  file?: string;
  db: string;
}

/** Adds `-f, --file` and `--db`, the two ways the inspection commands find the control plane. */
export function withWorkspaceOptions(command: Command): Command {
  return command
    .option('-f, --file <pipeline>', 'use the destination of this pipeline file')
    .option('--db <path>', 'DuckDB file, when no pipeline file is given', './restlake.duckdb');
}

/** The workspace of a pipeline file, or of a DuckDB file that must already exist. */
export async function openWorkspaceFrom(options: WorkspaceOptions): Promise<Workspace> {
  if (options.file) {
    const { config, file } = loadPipelineFile(options.file);
    return openWorkspace(config.destination, dirname(file), config.control);
  }
  const path = resolve(options.db);
  if (!existsSync(path)) {
    throw new RestlakeError(
      'USAGE',
      `no restlake database at ${options.db}: run \`restlake demo\` or \`restlake run FILE\` first, or pass --db PATH or -f PIPELINE`,
    );
  }
  return openWorkspace(duckdbDestination.parse({ type: 'duckdb', path }), process.cwd());
}
