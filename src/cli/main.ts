import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ConfigError, describeError, isRestlakeError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import { registerCheck } from './commands/check.js';
import { registerDemo } from './commands/demo.js';
import { registerInit } from './commands/init.js';
import { registerInspect } from './commands/inspect.js';
import { registerPlan } from './commands/plan.js';
import { registerQuery } from './commands/query.js';
import { registerRebuild } from './commands/rebuild.js';
import { registerReport } from './commands/report.js';
import { registerRun } from './commands/run.js';
import { registerSampleApi } from './commands/sample-api.js';
import { registerSchema } from './commands/schema.js';
import { registerValidate } from './commands/validate.js';
import { registerWorker } from './commands/worker.js';
import { EXIT, type ExitCode, exitCodeFor } from './exit-codes.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

let exitCode: ExitCode = EXIT.ok;
const setExit = (code: ExitCode) => {
  exitCode = code;
};

const program = new Command('restlake')
  .description(
    'Turn any REST or GraphQL API into reliable tables, from one declarative pipeline file per API.',
  )
  .version(pkg.version, '-v, --version')
  .option('--log-level <level>', 'trace | debug | info | warn | error | silent')
  .option('--log-format <format>', 'json | pretty (default: pretty on a terminal, json otherwise)')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerRun(program, setExit);
registerPlan(program);
registerWorker(program, setExit);
registerValidate(program, setExit);
registerCheck(program, setExit);
registerSchema(program);
registerInspect(program);
registerReport(program);
registerQuery(program);
registerRebuild(program, setExit);
registerDemo(program, setExit);
registerInit(program);
registerSampleApi(program);

program.addHelpText(
  'after',
  `
Quick start:
  restlake demo                     load the bundled sample API into ./restlake.duckdb
  restlake init my_api              write a starter pipeline file
  restlake validate my_api.yaml     check it
  restlake run my_api.yaml          load it`,
);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  exitCode = report(error);
}
// The only process.exit: pending handles (a sample API, pools) must not keep a finished command alive.
process.exit(exitCode);

function report(error: unknown): ExitCode {
  if (error instanceof CommanderError) {
    // Commander already printed the message (or the help / version).
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    return EXIT.usage;
  }
  if (isRestlakeError(error)) {
    process.stderr.write(`error: ${redact(describeError(error))}\n`);
    return exitCodeFor(error.code);
  }
  process.stderr.write(
    `unexpected error: ${redact(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`,
  );
  return EXIT.unexpected;
}
