import type { Command } from 'commander';
import { z } from 'zod';
import { pipelineSchema } from '../../config/schema.js';

export function pipelineJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(pipelineSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'restlake pipeline file',
  };
}

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of the pipeline file format (for editor autocompletion)')
    .addHelpText(
      'after',
      `
Example (VS Code with the YAML extension):
  restlake schema > restlake.schema.json
  # then, first line of a pipeline file:
  # yaml-language-server: $schema=./restlake.schema.json`,
    )
    .action(() => {
      process.stdout.write(`${JSON.stringify(pipelineJsonSchema(), null, 2)}\n`);
    });
}
