import { join } from 'node:path';
import type { BenchApi, BenchApiOptions } from './api.js';
import { PAGE_SIZE, T0 } from './api.js';

/** What one run of a mode measured. */
export interface Figures {
  /** Per second of the restlake process's wall time, start to exit: what a user waits for. */
  recordsPerSecond: number;
  mbPerSecond: number;
  /** Per second of the load's RunDuration (claim to SUCCESS: no process start, no DuckDB checkpoint at exit). */
  loadRecordsPerSecond?: number;
  peakRssMb: number;
  /** Rate- and latency-bound modes. */
  requestsPerSecond?: number;
  rejected?: number;
}

export interface ModeContext {
  records: number;
  work: string;
  /** Runs the built CLI (with peak-RSS reporting) in the work folder; `seconds` is its wall time to exit. */
  restlake(
    args: string[],
    env?: Record<string, string>,
  ): Promise<{ stdout: string; peakRssMb: number; seconds: number }>;
  /** Runs a TypeScript script of bench/. */
  script(file: string, args: string[]): Promise<{ stdout: string; peakRssMb: number }>;
  writePipeline(name: string, pipeline: Record<string, unknown>): string;
  /** A bench API; the plain one (no latency, no limit) is shared and its pages rendered up front. */
  api(options?: Omit<BenchApiOptions, 'records'> & { records?: number }): Promise<BenchApi>;
}

export interface Mode {
  name: string;
  /** A full-pipeline mode: compared with the ceiling, and guarded by `--check`. */
  pipeline: boolean;
  /** A reason to skip this mode here (PostgreSQL unreachable, a feature this build lacks). */
  skip?(ctx: ModeContext): Promise<string | undefined>;
  run(ctx: ModeContext): Promise<Figures>;
}

export function median(figures: readonly Figures[]): Figures {
  const mid = (pick: (f: Figures) => number | undefined) => {
    const values = figures
      .map(pick)
      .filter((v): v is number => v !== undefined)
      .sort((a, b) => a - b);
    return values.length === 0 ? undefined : values[Math.floor(values.length / 2)];
  };
  const result: Figures = {
    recordsPerSecond: mid((f) => f.recordsPerSecond)!,
    mbPerSecond: mid((f) => f.mbPerSecond)!,
    peakRssMb: Math.max(...figures.map((f) => f.peakRssMb)),
  };
  const load = mid((f) => f.loadRecordsPerSecond);
  if (load !== undefined) result.loadRecordsPerSecond = load;
  const rps = mid((f) => f.requestsPerSecond);
  if (rps !== undefined) result.requestsPerSecond = rps;
  const rejected = mid((f) => f.rejected);
  if (rejected !== undefined) result.rejected = rejected;
  return result;
}

const BENCH_SCHEMA = {
  id: 'bigint',
  balance: 'decimal(12,2)',
  created_at: 'timestamp',
  updated_at: 'timestamp',
};

interface PipelineOptions {
  id: string;
  url: string;
  write: 'replace' | 'merge' | 'append';
  destination: Record<string, unknown>;
  source?: Record<string, unknown>;
  resource?: Record<string, unknown>;
}

function pipeline(o: PipelineOptions): Record<string, unknown> {
  return {
    id: o.id,
    source: { base_url: o.url, timeout: '60s', max_concurrency: 4, ...o.source },
    resources: [
      {
        name: 'records',
        endpoint: { path: '/records' },
        records: 'data',
        paginator: { type: 'page_number', page_size: PAGE_SIZE },
        primary_key: ['id'],
        write: o.write,
        schema: BENCH_SCHEMA,
        ...o.resource,
      },
    ],
    destination: o.destination,
  };
}

interface AuditFigures {
  records: number;
  bytes: number;
  /** The load's RunDuration. */
  seconds: number;
  requests: number;
  status: string;
}

/** Runs a pipeline file once and reads what its audit row says about the load. */
async function runPipeline(
  ctx: ModeContext,
  file: string,
  id: string,
): Promise<AuditFigures & { peakRssMb: number; wallSeconds: number }> {
  const { peakRssMb, seconds: wallSeconds } = await ctx.restlake(['run', file, '--log-level', 'warn']);
  const { stdout } = await ctx.restlake([
    'query',
    '-f',
    file,
    '--json',
    `SELECT SourceRowCount AS records, BytesFetched AS bytes, RunDuration AS seconds, RequestCount AS requests,
       LoadStatus AS status
     FROM metadata.api_audit_table WHERE ConfigId = '${id}' ORDER BY AuditId DESC LIMIT 1`,
  ]);
  const audit = JSON.parse(stdout.trim()) as AuditFigures;
  if (audit.status !== 'SUCCESS') throw new Error(`${id}: the load ended ${audit.status}`);
  return { ...audit, records: Number(audit.records), bytes: Number(audit.bytes), peakRssMb, wallSeconds };
}

function figuresOf(audit: AuditFigures & { peakRssMb: number; wallSeconds: number }): Figures {
  return {
    recordsPerSecond: audit.records / audit.wallSeconds,
    mbPerSecond: audit.bytes / 1e6 / audit.wallSeconds,
    loadRecordsPerSecond: audit.records / audit.seconds,
    peakRssMb: audit.peakRssMb,
  };
}

/** replace into a fresh table, then merge into it, then append to it: the three write dispositions. */
function dispositionModes(
  family: string,
  destination: (ctx: ModeContext) => Record<string, unknown>,
  skip?: Mode['skip'],
  reset?: (ctx: ModeContext) => Promise<void>,
): Mode[] {
  const loaded = new Set<string>();
  const mode = (write: PipelineOptions['write']): Mode => ({
    name: `${family}-${write}`,
    pipeline: true,
    ...(skip ? { skip } : {}),
    async run(ctx) {
      const api = await ctx.api();
      const make = (w: PipelineOptions['write']) => {
        const id = `bench_${w}`;
        return {
          id,
          file: ctx.writePipeline(
            `${family}-${w}`,
            pipeline({ id, url: api.url, write: w, destination: destination(ctx) }),
          ),
        };
      };
      if (write === 'replace' && !loaded.has(family)) await reset?.(ctx);
      // merge and append need the table the replace mode loads; load it first when running them alone.
      if (write !== 'replace' && !loaded.has(family)) {
        await reset?.(ctx);
        const first = make('replace');
        await runPipeline(ctx, first.file, first.id);
      }
      loaded.add(family);
      const { id, file } = make(write);
      return figuresOf(await runPipeline(ctx, file, id));
    },
  });
  return [mode('replace'), mode('merge'), mode('append')];
}

interface PgClient {
  connect(): Promise<void>;
  query(sql: string, params?: unknown[]): Promise<{ rowCount: number | null }>;
  end(): Promise<void>;
}
type PgModule = { default: { Client: new (options: { connectionString: string }) => PgClient } };
// Imported by name at run time: the bench runs (and skips PostgreSQL) on a build without the driver.
const PG_DRIVER = 'pg';
const importPg = () => import(PG_DRIVER) as Promise<PgModule>;

const PG_URL = process.env.RESTLAKE_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/restlake_bench';

async function postgresSkip(ctx: ModeContext): Promise<string | undefined> {
  let pg: PgModule;
  try {
    pg = await importPg();
  } catch {
    return 'the pg driver is not installed';
  }
  const admin = new pg.default.Client({ connectionString: PG_URL.replace(/\/[^/]*$/, '/test') });
  try {
    await admin.connect();
  } catch (error) {
    return `PostgreSQL is not reachable (${(error as Error).message})`;
  }
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      new URL(PG_URL).pathname.slice(1),
    ]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${new URL(PG_URL).pathname.slice(1)}`);
  } finally {
    await admin.end();
  }
  const probe = ctx.writePipeline(
    'pg-probe',
    pipeline({
      id: 'probe',
      url: 'http://127.0.0.1',
      write: 'merge',
      destination: { type: 'postgres', url: PG_URL },
    }),
  );
  try {
    await ctx.restlake(['validate', probe]);
  } catch {
    return 'this build has no postgres destination';
  }
  return undefined;
}

async function postgresReset(): Promise<void> {
  const pg = await importPg();
  const client = new pg.default.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(
      'DROP SCHEMA IF EXISTS public CASCADE; DROP SCHEMA IF EXISTS bronze CASCADE; DROP SCHEMA IF EXISTS metadata CASCADE; CREATE SCHEMA public',
    );
  } finally {
    await client.end();
  }
}

/** A feature of the pipeline file this build may not have yet: the mode is skipped, not failed. */
async function validates(
  ctx: ModeContext,
  name: string,
  config: Record<string, unknown>,
): Promise<string | undefined> {
  try {
    await ctx.restlake(['validate', ctx.writePipeline(name, config)]);
    return undefined;
  } catch (error) {
    return `this build does not accept the pipeline: ${(error as Error).message.split('\n').slice(1, 4).join(' ').trim()}`;
  }
}

const LATENCY_RECORDS = 100_000;
const LATENCY_MS = 50;

/** 100 pages behind 50 ms of latency each, split into hourly windows: 1 or 8 requests (and windows) at a time. */
function latencyMode(concurrency: number): Mode {
  const config = (url: string, ctx: ModeContext) =>
    pipeline({
      id: `bench_latency_${concurrency}`,
      url,
      write: 'merge',
      source: { max_concurrency: concurrency },
      resource: {
        endpoint: { path: '/records', params: { since: '{window.start}', until: '{window.end}' } },
        incremental: {
          cursor_field: 'updated_at',
          start: new Date(T0).toISOString(),
          end: new Date(T0 + LATENCY_RECORDS * 1000).toISOString(),
        },
        window: { every: '1h', concurrency },
      },
      destination: { type: 'duckdb', path: join(ctx.work, `latency-${concurrency}-${Date.now()}.duckdb`) },
    });
  return {
    name: `latency-c${concurrency}`,
    pipeline: false,
    skip: (ctx) => validates(ctx, `latency-probe-${concurrency}`, config('http://127.0.0.1', ctx)),
    async run(ctx) {
      const api = await ctx.api({ latencyMs: LATENCY_MS, records: LATENCY_RECORDS });
      try {
        const id = `bench_latency_${concurrency}`;
        const audit = await runPipeline(ctx, ctx.writePipeline(id, config(api.url, ctx)), id);
        return { ...figuresOf(audit), requestsPerSecond: audit.requests / audit.seconds };
      } finally {
        await api.close();
      }
    },
  };
}

const RATE = 10;
const RATE_PAGES = 50;

/** An API that admits 10 requests/s and a client configured at 10 requests/s: no 429, close to 10 req/s. */
const rateMode: Mode = {
  name: 'rate-10rps',
  pipeline: false,
  skip: (ctx) => validates(ctx, 'rate-probe', rateConfig('http://127.0.0.1', ctx)),
  async run(ctx) {
    const api = await ctx.api({ rateLimit: RATE, records: RATE_PAGES * 100 });
    try {
      const audit = await runPipeline(ctx, ctx.writePipeline('rate', rateConfig(api.url, ctx)), 'bench_rate');
      return {
        ...figuresOf(audit),
        requestsPerSecond: audit.requests / audit.seconds,
        rejected: api.rejected(),
      };
    } finally {
      await api.close();
    }
  },
};

function rateConfig(url: string, ctx: ModeContext): Record<string, unknown> {
  return pipeline({
    id: 'bench_rate',
    url,
    write: 'merge',
    source: { rate_limit: { requests_per_second: RATE } },
    resource: { paginator: { type: 'page_number', page_size: 100 } },
    destination: { type: 'duckdb', path: join(ctx.work, `rate-${Date.now()}.duckdb`) },
  });
}

export const MODES: readonly Mode[] = [
  {
    name: 'ceiling',
    pipeline: false,
    async run(ctx) {
      const api = await ctx.api();
      const { stdout } = await ctx.script('ceiling.ts', [api.url, '4', String(PAGE_SIZE)]);
      const r = JSON.parse(stdout.trim()) as {
        records: number;
        bytes: number;
        seconds: number;
        peakRssMb: number;
      };
      return {
        recordsPerSecond: r.records / r.seconds,
        mbPerSecond: r.bytes / 1e6 / r.seconds,
        peakRssMb: r.peakRssMb,
      };
    },
  },
  ...dispositionModes('duckdb', (ctx) => ({ type: 'duckdb', path: join(ctx.work, 'bench.duckdb') })),
  ...dispositionModes('postgres', () => ({ type: 'postgres', url: PG_URL }), postgresSkip, postgresReset),
  latencyMode(1),
  latencyMode(8),
  rateMode,
];
