import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { type BenchApi, startBenchApi, warmPages } from './api.js';
import { type Figures, MODES, type Mode, type ModeContext, median } from './modes.js';

/**
 * `npm run bench`: the pipeline against a local API, mode by mode, each the median of several runs, beside
 * the ceiling (the same HTTP client fetching and parsing the same pages, nothing else). A pipeline mode's
 * records/s is over the `restlake run` process's wall time, start to exit, as a user waits for it; its load's
 * own rate (over RunDuration) is reported beside it. Prints a table and writes bench/results/latest.json.
 * `--check` fails the run when a full-pipeline mode's load falls below `--floor` (a ratio of the ceiling
 * measured in the same run, never an absolute time).
 */

const HELP = `usage: npm run bench -- [options]

  --records N    records served (default 1000000; 1,000 per page, ~480 bytes each)
  --runs N       runs per mode; the median is reported (default 3)
  --only MODES   comma-separated modes (default: all): ${MODES.map((m) => m.name).join(', ')}
  --check        exit 1 when a full-pipeline mode's load (records per second of its
                 RunDuration) is below --floor x the ceiling
  --floor R      the ratio --check enforces (default 0.25)
  --help`;

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    only: { type: 'string' },
    check: { type: 'boolean', default: false },
    floor: { type: 'string', default: '0.25' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
const records = Number(values.records);
const runs = Number(values.runs);
const floor = Number(values.floor);
if (!Number.isInteger(records) || records < 1000 || !Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`--records must be >= 1000 and --runs >= 1\n${HELP}\n`);
  process.exit(2);
}
const only = values.only?.split(',').map((s) => s.trim());
const unknown = only?.filter((name) => !MODES.some((m) => m.name === name)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(`unknown mode(s): ${unknown.join(', ')}\n${HELP}\n`);
  process.exit(2);
}

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin/restlake.js');
const work = mkdtempSync(join(tmpdir(), 'restlake-bench-'));

/** Runs a command, returning its stdout, the peak RSS it reported and its wall time, start to exit. */
function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ stdout: string; peakRssMb: number; seconds: number }> {
  const rssFile = join(work, `rss-${Date.now()}-${Math.random()}`);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: work,
      env: { ...process.env, ...env, RESTLAKE_BENCH_RSS: rssFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${args.join(' ')} exited ${code}\n${stderr}\n${stdout}`));
      let peakRssMb = 0;
      try {
        peakRssMb = Number(readFileSync(rssFile, 'utf8'));
      } catch {}
      resolve({ stdout, peakRssMb, seconds: (performance.now() - started) / 1000 });
    });
  });
}

let shared: BenchApi | undefined;
const context: ModeContext = {
  records,
  work,
  async restlake(args, env) {
    return run(['--import', join(root, 'bench/peak-rss.mjs'), bin, ...args], env);
  },
  async script(file, args) {
    // tsx resolves from the repository, not from the work folder the children run in.
    return run(['--import', import.meta.resolve('tsx'), join(root, 'bench', file), ...args]);
  },
  writePipeline(name, pipeline) {
    const file = join(work, `${name}.yaml`);
    writeFileSync(file, stringify(pipeline));
    return file;
  },
  async api(options = {}) {
    const plain = !options.latencyMs && options.rateLimit === undefined && options.records === undefined;
    if (plain && shared) return shared;
    const api = await startBenchApi({ records, ...options });
    if (plain) {
      await warmPages(api, records);
      shared = api;
    }
    return api;
  },
};

const selected: Mode[] = MODES.filter((m) => !only || only.includes(m.name));
const results: Record<string, Figures & { ratio?: number; runs: number }> = {};
process.stdout.write(
  `restlake bench: ${records.toLocaleString('en-US')} records, ${runs} run(s) per mode\n\n`,
);
try {
  for (const mode of selected) {
    const skip = await mode.skip?.(context);
    if (skip) {
      process.stdout.write(`${mode.name.padEnd(18)} skipped: ${skip}\n`);
      continue;
    }
    const figures: Figures[] = [];
    for (let i = 0; i < runs; i++) figures.push(await mode.run(context));
    results[mode.name] = { ...median(figures), runs };
    process.stdout.write(`${mode.name.padEnd(18)} ${describe(results[mode.name]!)}\n`);
  }
} finally {
  await shared?.close();
  rmSync(work, { recursive: true, force: true });
}

const ceiling = results.ceiling?.recordsPerSecond;
const failures: string[] = [];
if (ceiling) {
  for (const mode of selected.filter((m) => m.pipeline)) {
    const figures = results[mode.name];
    if (!figures) continue;
    figures.ratio = figures.recordsPerSecond / ceiling;
    // The guard compares the load itself: the process's start and exit are a fixed second or so that
    // would swamp a quick run's figure, and they are not what a regression in the pipeline changes.
    const guarded = (figures.loadRecordsPerSecond ?? figures.recordsPerSecond) / ceiling;
    if (guarded < floor)
      failures.push(`${mode.name}: ${(guarded * 100).toFixed(0)}% of the ceiling in RunDuration`);
  }
}

process.stdout.write(`\n${table()}\n`);
const report = {
  date: new Date().toISOString(),
  node: process.version,
  records,
  runs,
  results,
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/latest.json'), `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write('figures written to bench/results/latest.json\n');
if (values.check && failures.length > 0) {
  process.stderr.write(`below the floor of ${floor * 100}% of the ceiling:\n  ${failures.join('\n  ')}\n`);
  process.exit(1);
}

function describe(f: Figures): string {
  const parts = [
    `${Math.round(f.recordsPerSecond).toLocaleString('en-US')} records/s`,
    ...(f.loadRecordsPerSecond === undefined
      ? []
      : [`${Math.round(f.loadRecordsPerSecond).toLocaleString('en-US')} in RunDuration`]),
    `${f.mbPerSecond.toFixed(1)} MB/s`,
    `peak RSS ${Math.round(f.peakRssMb)} MB`,
  ];
  if (f.requestsPerSecond !== undefined) parts.push(`${f.requestsPerSecond.toFixed(1)} requests/s`);
  if (f.rejected !== undefined) parts.push(`${f.rejected} x 429`);
  return parts.join(', ');
}

function table(): string {
  const header = ['mode', 'records/s', 'in RunDuration', 'MB/s', 'peak RSS MB', 'vs ceiling', 'notes'];
  const rows = Object.entries(results).map(([name, f]) => [
    name,
    Math.round(f.recordsPerSecond).toLocaleString('en-US'),
    f.loadRecordsPerSecond === undefined ? '' : Math.round(f.loadRecordsPerSecond).toLocaleString('en-US'),
    f.mbPerSecond.toFixed(1),
    String(Math.round(f.peakRssMb)),
    f.ratio === undefined ? '' : `${(f.ratio * 100).toFixed(0)}%`,
    [
      f.requestsPerSecond === undefined ? '' : `${f.requestsPerSecond.toFixed(1)} req/s`,
      f.rejected === undefined ? '' : `${f.rejected} x 429`,
    ]
      .filter(Boolean)
      .join(', '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
