import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CliResult } from '../support/cli.js';
import { describePg, type FreshDatabase, freshDatabase } from '../support/pg.js';
import { type RunningCli, startCli } from '../support/processes.js';
import { rows, withWorkspace } from '../support/run.js';
import { type ScriptedServer, scriptedServer } from '../support/scripted-server.js';
import { tempDir, writePipeline } from '../support/workspace.js';

/**
 * Two `restlake run` processes started at once on the same pipeline file: exactly one loads it; the other
 * exits cleanly saying who holds it. The API holds its first answer until the loser has exited, so the two
 * runs overlap however the machine schedules them (no timing involved).
 */

const tmp = tempDir();
let server: ScriptedServer;
/** Resolved by the test once the loser has exited: the winner's first page is answered then. */
let release: () => void = () => {};
let released: Promise<void> = Promise.resolve();
const PAGES = 3;
const PER_PAGE = 5;

beforeAll(async () => {
  server = await scriptedServer(async ({ query }) => {
    const page = Number(query.get('page') ?? 1);
    if (page === 1) await released;
    const count = page > PAGES ? 0 : PER_PAGE;
    return { body: Array.from({ length: count }, (_, i) => ({ id: (page - 1) * PER_PAGE + i + 1 })) };
  });
});
afterAll(async () => {
  release();
  await server.close();
  tmp.cleanup();
});

/**
 * Starts two runs of one pipeline at once; returns the first to exit (the loser, while the winner waits for
 * the API) and then the winner, once the API is let go.
 */
async function race(id: string, destination: Record<string, unknown>) {
  released = new Promise((resolve) => {
    release = resolve;
  });
  const file = writePipeline(tmp.dir, `${id}.yaml`, {
    id,
    source: { base_url: server.url, retry: { max_attempts: 1 } },
    resources: [
      {
        name: 'items',
        endpoint: { path: '/items' },
        paginator: { type: 'page_number' },
        primary_key: ['id'],
      },
    ],
    destination,
  });
  const runs = [0, 1].map(() => startCli(['run', file, '--log-level', 'warn'], { cwd: tmp.dir }));
  try {
    const first = await Promise.race(runs.map((run, i) => run.done.then((result) => ({ i, result }))));
    const loser = { run: runs[first.i]!, result: first.result };
    release();
    const winner: { run: RunningCli; result: CliResult } = {
      run: runs[1 - first.i]!,
      result: await runs[1 - first.i]!.done,
    };
    return { loser, winner };
  } finally {
    release();
    for (const run of runs) if (run.child.exitCode === null) run.child.kill('SIGKILL');
  }
}

const ALL = Array.from({ length: PAGES * PER_PAGE }, (_, i) => i + 1);

describe('DuckDB: the file admits one process', () => {
  test('the second run cannot open the file: exit 5, naming the pid that holds it; one load ran', async () => {
    const destination = { type: 'duckdb', path: tmp.path('race.duckdb') };
    const { loser, winner } = await race('race_duckdb', destination);

    expect(loser.result.code, loser.result.stderr).toBe(5);
    expect(loser.result.stderr).toContain(`is in use by another process (pid ${winner.run.child.pid})`);
    expect(winner.result.code, winner.result.stderr).toBe(0);
    expect(winner.result.stdout).toMatch(/SUCCESS/);

    await withWorkspace(destination, tmp.dir, async (ws) => {
      const audits = await rows(ws, `SELECT LoadStatus FROM metadata.api_audit_table`);
      expect(audits).toEqual([{ LoadStatus: 'SUCCESS' }]);
      expect((await rows(ws, 'SELECT id FROM main.items ORDER BY id')).map((r) => Number(r.id))).toEqual(ALL);
    });
  });
});

describePg('PostgreSQL: the lease decides', () => {
  let db: FreshDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  test('the loser finds the load RUNNING under the winner’s lease: says who holds it, exits 0; one load ran', async () => {
    const { loser, winner } = await race('race_pg', { type: 'postgres', url: db.url });

    expect(loser.result.code, loser.result.stderr).toBe(0);
    const owner = `${hostname()}:${winner.run.child.pid}:`;
    const line = new RegExp(
      `^load (\\d+) of race_pg\\.items is running on ${owner.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[0-9a-f]{8} \\(lease until (\\S+)\\); nothing to do here$`,
      'm',
    );
    expect(loser.result.stdout).toMatch(line);
    expect(loser.result.stdout).not.toMatch(/nothing to run/);
    expect(winner.result.code, winner.result.stderr).toBe(0);
    expect(winner.result.stdout).toMatch(/SUCCESS/);

    const [, indexNo, until] = line.exec(loser.result.stdout)!;
    const audits = await db.query<{ indexno: string; loadstatus: string }>(
      'SELECT IndexNo, LoadStatus FROM metadata.api_audit_table',
    );
    expect(audits).toEqual([{ indexno: indexNo, loadstatus: 'SUCCESS' }]);
    expect(Date.parse(until!)).toBeGreaterThan(Date.now() - 60_000);
    const ids = await db.query<{ id: string }>('SELECT id FROM public.items ORDER BY id');
    expect(ids.map((r) => Number(r.id))).toEqual(ALL);
  });
});
