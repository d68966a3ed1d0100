import { existsSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { RestlakeError } from '../../core/errors.js';
import { isIdentifier } from '../../core/identifiers.js';

export function starterPipeline(id: string): string {
  return `# yaml-language-server: $schema=./restlake.schema.json   (create it with: restlake schema > restlake.schema.json)
# restlake pipeline: one API into tables. Check it with \`restlake validate ${id}.yaml\`, run it with \`restlake run ${id}.yaml\`.
id: ${id}                          # ConfigId in the control table; letters, digits and _
api: ${id}                         # APIName in the control table

source:
  base_url: https://api.example.com/v1
  auth:
    type: bearer                   # none | bearer | api_key | basic
    token: \${env:${id.toUpperCase()}_TOKEN}   # secrets come from the environment or a file (\${file:./token.txt})
  timeout: 30s
  retry: { max_attempts: 5 }       # 5xx, 429, timeouts and dropped connections are retried with backoff

resources:
  - name: customers                # table name too (set \`table:\` to choose another)
    endpoint:
      path: /customers
      params: { status: active }
    records: data                  # where the records are in the response: data, results, data.items[] ...
    paginator:
      type: page_number            # single | page_number | offset | cursor | next_url | link_header | relay
      page_size: 100
    # incremental: { cursor_field: updated_at, start: "2024-01-01T00:00:00Z", lag: 1h }  # then load only what changed,
    # window: { every: daily }     # one day at a time, with {window.start} / {window.end} in params or body
    primary_key: [id]
    write: merge                   # replace (default) | append | merge
    schema:                        # optional: declared column types; others are inferred
      id: bigint
      created_at: timestamp
      balance: decimal(12,2)

destination:
  type: duckdb
  path: ./restlake.duckdb
# or PostgreSQL (also what a fleet of \`restlake worker\` processes shares):
#   type: postgres
#   url: postgres://loader:\${env:PGPASSWORD}@db.internal:5432/warehouse
#   schema: public
`;
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('write a commented starter pipeline file NAME.yaml')
    .argument('<name>', 'the pipeline id, also the file name')
    .option('--force', 'overwrite an existing file')
    .addHelpText('after', '\nExample:\n  restlake init customers && restlake validate customers.yaml')
    .action((name: string, options: { force?: boolean }) => {
      if (!isIdentifier(name)) {
        throw new RestlakeError(
          'USAGE',
          `"${name}" is not a valid pipeline id: use letters, digits and _ (starting with a letter)`,
        );
      }
      const file = `${name}.yaml`;
      if (existsSync(file) && !options.force) {
        throw new RestlakeError('USAGE', `${file} exists already; pass --force to overwrite it`);
      }
      writeFileSync(file, starterPipeline(name));
      process.stdout.write(
        `wrote ${file}\nnext: edit it, then \`restlake validate ${file}\` and \`restlake run ${file}\`\n`,
      );
    });
}
