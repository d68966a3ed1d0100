import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { cli } from '../support/cli.js';
import { describePg, type FreshDatabase, freshDatabase } from '../support/pg.js';
import { startCli, waitFor } from '../support/processes.js';
import { type ScriptedServer, scriptedServer } from '../support/scripted-server.js';
import { tempDir, writePipeline } from '../support/workspace.js';

describePg('a fleet of workers sharing one PostgreSQL control plane', () => {
  const tmp = tempDir();
  let db: FreshDatabase;
  let server: ScriptedServer;
  /** Per path: how many records, how many per page, how slowly. */
  const slow = new Map<string, { total: number; perPage: number; delayMs: number }>();

  beforeAll(async () => {
    db = await freshDatabase();
    server = await scriptedServer((req) => {
      const shape = slow.get(req.path);
      if (!shape)
        return {
          body: [
            { id: 1, path: req.path },
            { id: 2, path: req.path },
          ],
        };
      const page = Number(req.query.get('page') ?? 1);
      const first = (page - 1) * shape.perPage;
      const count = Math.max(0, Math.min(shape.perPage, shape.total - first));
      return {
        delayMs: shape.delayMs,
        body: Array.from({ length: count }, (_, i) => ({ id: first + i + 1 })),
      };
    });
  });
  afterAll(async () => {
    await server?.close();
    await db?.drop();
    tmp.cleanup();
  });

  const destination = () => ({ type: 'postgres', url: db.url });
  const count = async (sql: string, params: unknown[] = []) =>
    Number((await db.query<{ n: string }>(sql, params))[0]?.n);

  test('4 workers drain 200 planned loads: each load runs exactly once; planning twice plans nothing twice', async () => {
    const dir = join(tmp.dir, 'fleet');
    mkdirSync(dir);
    for (let p = 0; p < 20; p++) {
      writePipeline(dir, `p${p}.yaml`, {
        id: `p${p}`,
        source: { base_url: server.url, retry: { max_attempts: 1 } },
        resources: Array.from({ length: 10 }, (_, r) => ({
          name: `r${r}`,
          endpoint: { path: `/p${p}/r${r}` },
          write: 'append',
        })),
        destination: { ...destination(), schema: `p${p}` },
      });
    }
    const first = await cli(['plan', dir], { cwd: tmp.dir });
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(/200 loads planned/);
    const second = await cli(['plan', dir], { cwd: tmp.dir });
    expect(second.stdout).toMatch(/nothing to plan/);
    expect(
      await count(`SELECT count(*) AS n FROM metadata.api_control_table WHERE LoadStatus = 'PENDING'`),
    ).toBe(200);

    const before = server.requests.length;
    const workers = Array.from({ length: 4 }, () =>
      startCli(
        ['worker', dir, '--concurrency', '2', '--exit-when-idle', '--poll', '100ms', '--log-level', 'warn'],
        {
          cwd: tmp.dir,
        },
      ),
    );
    const results = await Promise.all(workers.map((w) => w.done));
    for (const result of results) expect(result, result.stderr).toMatchObject({ code: 0 });

    expect(server.requests.length - before, 'each load fetched its page once').toBe(200);
    const audits = await db.query<{ status: string; n: string; loads: string }>(
      `SELECT LoadStatus AS status, count(*) AS n, count(DISTINCT IndexNo) AS loads FROM metadata.api_audit_table GROUP BY 1`,
    );
    expect(audits).toEqual([{ status: 'SUCCESS', n: '200', loads: '200' }]);
    expect(
      await count(
        `SELECT count(*) AS n FROM metadata.api_control_table WHERE LoadStatus = 'SUCCESS' AND AttemptCount = 1`,
      ),
    ).toBe(200);
    const tables = Array.from(
      { length: 200 },
      (_, i) => `SELECT count(*) AS c FROM p${Math.floor(i / 10)}.r${i % 10}`,
    );
    expect(
      await count(`SELECT sum(c) AS n FROM (${tables.join(' UNION ALL ')}) t`),
      '2 rows per load, no duplicates',
    ).toBe(400);
    const loadsPerWorker = results.map((r) => (r.stdout.match(/SUCCESS/g) ?? []).length);
    expect(loadsPerWorker.reduce((a, b) => a + b, 0)).toBe(200);
  });

  /** A pipeline of one slow resource: 20 pages of 50 records, a batch per page. */
  function slowPipeline(id: string) {
    slow.set(`/${id}`, { total: 1000, perPage: 50, delayMs: 120 });
    return writePipeline(tmp.dir, `${id}.yaml`, {
      id,
      // One request at a time: no page is fetched ahead, so the request counts below are exact.
      source: { base_url: server.url, retry: { max_attempts: 1 }, max_concurrency: 1 },
      resources: [
        {
          name: 'items',
          endpoint: { path: `/${id}` },
          paginator: { type: 'page_number', page_size: 50 },
          write: 'append',
        },
      ],
      destination: { ...destination(), schema: id },
      batch_size: 50,
    });
  }
  const requestsFor = (id: string) => server.requests.filter((r) => r.path === `/${id}`).length;
  const checkpointed = (id: string) =>
    waitFor(
      `a committed batch of ${id}`,
      async () =>
        (
          await db.query(
            `SELECT 1 FROM metadata.api_control_table WHERE ConfigId = $1 AND LoadStatus = 'RUNNING' AND Checkpoint IS NOT NULL`,
            [id],
          )
        ).length > 0,
    );

  test('a SIGKILLed worker leaves a lease that expires; another worker takes the load over and finishes it without duplicates', async () => {
    const file = slowPipeline('killed');
    await cli(['plan', file], { cwd: tmp.dir });
    const doomed = startCli(['worker', file, '--lease', '2s', '--log-level', 'warn'], { cwd: tmp.dir });
    await checkpointed('killed');
    doomed.child.kill('SIGKILL');
    expect((await doomed.done).signal).toBe('SIGKILL');
    // As if the worker had run on a machine that vanished: only the lease's expiry frees the load (a dead
    // process of this machine would be recognised at once).
    const [held] = await db.query<{ expires: Date }>(
      `UPDATE metadata.api_control_table SET LeaseOwner = 'vanished-machine:4242:deadbeef'
       WHERE ConfigId = 'killed' AND LoadStatus = 'RUNNING' RETURNING LeaseExpiresAt AS expires`,
    );
    const requestsBeforeTakeover = requestsFor('killed');
    expect(requestsBeforeTakeover).toBeLessThan(21);

    const rescuer = await cli(
      ['worker', file, '--exit-when-idle', '--poll', '200ms', '--lease', '2s', '--log-format', 'json'],
      { cwd: tmp.dir },
    );
    expect(rescuer.code, rescuer.stderr).toBe(0);
    const takeover = rescuer.stderr
      .split('\n')
      .filter((line) => line.includes('took over'))
      .map((line) => JSON.parse(line) as { previousOwner: string; time: number });
    expect(takeover).toHaveLength(1);
    expect(takeover[0]!.previousOwner).toBe('vanished-machine:4242:deadbeef');
    expect(takeover[0]!.time, 'not before the lease expired').toBeGreaterThanOrEqual(held!.expires.getTime());
    const [items] = await db.query(`SELECT count(*) AS n, count(DISTINCT id) AS d FROM killed.items`);
    expect(items).toEqual({ n: '1000', d: '1000' });
    const [load] = await db.query(
      `SELECT LoadStatus AS status, AttemptCount AS attempts FROM metadata.api_control_table WHERE ConfigId = 'killed' ORDER BY IndexNo LIMIT 1`,
    );
    expect(load).toEqual({ status: 'SUCCESS', attempts: 2 });
    expect(
      await db.query(
        `SELECT LoadStatus AS status, Attempt AS attempt, ErrorMessage LIKE '%taken over by%' AS taken
         FROM metadata.api_audit_table WHERE ConfigId = 'killed' ORDER BY AuditId`,
      ),
      'the rescuer audits the killed attempt, then its own',
    ).toEqual([
      { status: 'PARTIAL', attempt: 1, taken: true },
      { status: 'SUCCESS', attempt: 2, taken: null },
    ]);
    expect(
      requestsFor('killed') - requestsBeforeTakeover,
      'the rescuer resumed after the committed pages instead of starting over',
    ).toBeLessThan(21);
  });

  test('a worker restarted on the same machine takes its dead predecessor’s load over at once', async () => {
    const file = slowPipeline('restarted');
    await cli(['plan', file], { cwd: tmp.dir });
    const doomed = startCli(['worker', file, '--lease', '10m', '--log-level', 'warn'], { cwd: tmp.dir });
    await checkpointed('restarted');
    doomed.child.kill('SIGKILL');
    await doomed.done;
    const restarted = await cli(['worker', file, '--exit-when-idle', '--lease', '10m'], { cwd: tmp.dir });
    expect(restarted.code, restarted.stderr).toBe(0);
    expect(restarted.stderr).toMatch(/took over the load of a process that died/);
    const [items] = await db.query(`SELECT count(*) AS n, count(DISTINCT id) AS d FROM restarted.items`);
    expect(items).toEqual({ n: '1000', d: '1000' });
  });

  test('SIGTERM commits the current batch, hands the load back (PENDING) and exits 0; the next worker resumes', async () => {
    const file = slowPipeline('stopped');
    await cli(['plan', file], { cwd: tmp.dir });
    const worker = startCli(['worker', file, '--log-level', 'info'], { cwd: tmp.dir });
    await checkpointed('stopped');
    worker.child.kill('SIGTERM');
    const stopped = await worker.done;
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stderr).toMatch(/load handed back/);
    const [load] = await db.query(
      `SELECT LoadStatus AS status, LeaseOwner AS owner, Checkpoint IS NOT NULL AS resumable FROM metadata.api_control_table WHERE ConfigId = 'stopped'`,
    );
    expect(load).toEqual({ status: 'PENDING', owner: null, resumable: true });
    const [partial] = await db.query(`SELECT count(*) AS n FROM stopped.items`);
    expect(Number(partial?.n)).toBeGreaterThan(0);
    expect(Number(partial?.n) % 50, 'only whole batches were committed').toBe(0);

    const next = await cli(['worker', file, '--exit-when-idle', '--poll', '100ms'], { cwd: tmp.dir });
    expect(next.code, next.stderr).toBe(0);
    const [items] = await db.query(`SELECT count(*) AS n, count(DISTINCT id) AS d FROM stopped.items`);
    expect(items).toEqual({ n: '1000', d: '1000' });
    expect(
      await db.query(
        `SELECT LoadStatus AS status FROM metadata.api_audit_table WHERE ConfigId = 'stopped' ORDER BY AuditId`,
      ),
    ).toEqual([{ status: 'PARTIAL' }, { status: 'SUCCESS' }]);
  });
});
