import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

/**
 * `npm run test:faults [-- --trials N]`: the reliability suite alone — fault mixes × destinations × write
 * dispositions, SIGKILL crash trials, the bad-input corpus and the secret scan. `--trials N` sets the number
 * of random-moment crash trials per destination (CI runs the default, a few minutes in all).
 */
const { values } = parseArgs({
  options: { trials: { type: 'string' }, help: { type: 'boolean', default: false } },
});
if (values.help) {
  process.stdout.write('usage: npm run test:faults -- [--trials N]\n');
  process.exit(0);
}
if (values.trials !== undefined && !/^\d+$/.test(values.trials)) {
  process.stderr.write(`--trials expects a whole number, got "${values.trials}"\n`);
  process.exit(2);
}
const result = spawnSync('npx', ['vitest', 'run', 'test/faults'], {
  stdio: 'inherit',
  env: { ...process.env, ...(values.trials ? { RESTLAKE_CRASH_TRIALS: values.trials } : {}) },
});
process.exit(result.status ?? 1);
