import { afterAll, beforeAll, expect, test } from 'vitest';
import { cli } from '../support/cli.js';
import { type RunningCli, startCli } from '../support/processes.js';
import { rows, withWorkspace } from '../support/run.js';
import { type ScriptedServer, scriptedServer } from '../support/scripted-server.js';
import { tempDir, writePipeline } from '../support/workspace.js';

const tmp = tempDir();
let server: ScriptedServer;
let running: RunningCli | undefined;
let interruptAt: number | undefined;

beforeAll(async () => {
  server = await scriptedServer((req) => {
    const page = Number(req.query.get('page') ?? 1);
    // Ctrl-C while the third page is in flight: pages 1 and 2 are committed (a batch per page) or committing.
    if (page === interruptAt) running?.child.kill('SIGINT');
    const ids = page <= 10 ? Array.from({ length: 20 }, (_, i) => ({ id: (page - 1) * 20 + i + 1 })) : [];
    return { body: ids, delayMs: 50 };
  });
});
afterAll(async () => {
  await server?.close();
  tmp.cleanup();
});

test('Ctrl-C during `restlake run` commits what it has, hands the load back, and the next run resumes it', async () => {
  const destination = { type: 'duckdb', path: './signals.duckdb' };
  const file = writePipeline(tmp.dir, 'signals.yaml', {
    id: 'signals',
    // One request at a time, so that page 3 is asked for only after pages 1 and 2 are in.
    source: { base_url: server.url, retry: { max_attempts: 1 }, max_concurrency: 1 },
    resources: [
      { name: 'items', endpoint: {}, paginator: { type: 'page_number', page_size: 20 }, write: 'append' },
    ],
    destination,
    batch_size: 20,
  });
  interruptAt = 3;
  running = startCli(['run', file, '--log-level', 'warn'], { cwd: tmp.dir });
  const interrupted = await running.done;
  expect(interrupted.code, interrupted.stderr).toBe(4);
  expect(interrupted.stderr).toMatch(/stopping: committing the current batches/);
  const committed = await withWorkspace(destination, tmp.dir, async (ws) => {
    const [load] = await ws.control.loads('signals', 1);
    expect(load).toMatchObject({ LoadStatus: 'PENDING', LeaseOwner: null, AttemptCount: 1 });
    const [count] = await rows(ws, 'SELECT count(*) AS n FROM main.items');
    return Number(count?.n);
  });
  expect(committed % 20, 'whole batches only').toBe(0);
  expect(committed).toBeLessThan(200);

  interruptAt = undefined;
  const resumed = await cli(['run', file], { cwd: tmp.dir });
  expect(resumed.code, resumed.stderr).toBe(0);
  await withWorkspace(destination, tmp.dir, async (ws) => {
    expect(await rows(ws, 'SELECT count(*) AS n, count(DISTINCT id) AS d FROM main.items')).toEqual([
      { n: 200, d: 200 },
    ]);
    expect((await ws.control.audits('signals')).map((a) => a.LoadStatus)).toEqual(['SUCCESS', 'PARTIAL']);
  });
});
