import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type SampleApi, type SampleRequest, startSampleApi } from '../../src/sample-api/server.js';
import { BIN, cli, cliEnv } from '../support/cli.js';
import { rows, withWorkspace } from '../support/run.js';
import { ticketsByWindow } from '../support/sample-resources.js';
import { tempDir, writePipeline } from '../support/workspace.js';

/**
 * A load killed with SIGKILL at page N of window M resumes there on the next run and ends with exactly the
 * rows of an uninterrupted load. The sample API holds the request for (M, N) and tells the test, which waits
 * for the loader to log the commit of the page before, then kills it: the point of death is exact.
 */

const tmp = tempDir();
let api: SampleApi;
const log: SampleRequest[] = [];
let hold: ((req: SampleRequest) => boolean) | undefined;
let held: (() => void) | undefined;

beforeAll(async () => {
  api = await startSampleApi({
    sizes: { tickets: 120 },
    onRequest: (req) => {
      log.push(req);
      if (hold?.(req)) {
        hold = undefined;
        held?.();
        // Never answered: the loader waits here until it is killed.
        return new Promise<void>(() => {});
      }
    },
  });
});
afterAll(async () => {
  await api.close();
  tmp.cleanup();
});

const key = (req: SampleRequest) => `${req.query.get('updated_since')} page ${req.query.get('page')}`;

test('a load killed at page N of window M resumes there and ends with exactly the expected rows', async () => {
  const db = tmp.path('killed.duckdb');
  const file = writePipeline(tmp.dir, 'killed.yaml', {
    id: 'killed',
    // One request at a time: no page is fetched ahead, so the request counts below are exact.
    source: {
      base_url: api.url,
      auth: { type: 'bearer', token: api.token },
      retry: { max_attempts: 1 },
      max_concurrency: 1,
    },
    resources: [
      // append, not merge: a page loaded twice would show as duplicate rows.
      ticketsByWindow({
        pageSize: 3,
        every: 'daily',
        incremental: { end: '2024-01-08T00:00:00Z' },
        write: 'append',
      }),
    ],
    destination: { type: 'duckdb', path: db },
    batch_size: 3,
  });
  const windowM = '2024-01-03T00:00:00.000Z';
  const pageN = '2';
  const arrived = new Promise<void>((resolve) => {
    held = resolve;
  });
  hold = (req) =>
    req.path === '/tickets' && req.query.get('updated_since') === windowM && req.query.get('page') === pageN;

  const child = spawn(process.execPath, [BIN, 'run', file, '--log-level', 'debug', '--log-format', 'json'], {
    cwd: tmp.dir,
    env: cliEnv(tmp.dir),
  });
  let stderr = '';
  const committed = (pages: number) =>
    stderr
      .split('\n')
      .some((line) => line.includes('"batch committed"') && line.includes(`"pages":${pages}`));
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('close', (_code, signal) => resolve(signal)),
  );
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  await arrived;
  const before = log.length - 1;
  // Every page before the held one is committed (one page per batch) before the process dies.
  while (!committed(before)) {
    if (child.exitCode !== null) throw new Error(`the loader exited early:\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  const killedAt = log.length;

  const rerun = await cli(['run', file], { cwd: tmp.dir });
  expect(rerun.code, rerun.stderr).toBe(0);

  const first = log.slice(0, killedAt).map(key);
  const second = log.slice(killedAt).map(key);
  expect(first.at(-1)).toBe(`${windowM} page ${pageN}`);
  expect(second[0], 'the rerun starts at the page that was in flight').toBe(`${windowM} page ${pageN}`);
  const counts = new Map<string, number>();
  for (const k of [...first, ...second]) counts.set(k, (counts.get(k) ?? 0) + 1);
  const twice = [...counts].filter(([, c]) => c > 1).map(([k]) => k);
  expect(twice, 'only the killed request is made twice').toEqual([`${windowM} page ${pageN}`]);
  expect(new Set(second.map((k) => k.slice(0, 24))).has('2024-01-02T00:00:00.000Z')).toBe(false);

  const expected = api.tickets.updatedBetween(
    new Date('2024-01-01T00:00:00Z'),
    new Date('2024-01-08T00:00:00Z'),
  );
  await withWorkspace({ type: 'duckdb', path: db }, tmp.dir, async (ws) => {
    const got = await rows(ws, 'SELECT id FROM main.tickets ORDER BY id');
    expect(got.map((r) => Number(r.id))).toEqual(expected.map((t) => t.id).sort((a, b) => a - b));
    const [load] = await ws.control.loads('killed', 2).then((l) => l.reverse());
    expect(load).toMatchObject({ LoadStatus: 'SUCCESS', AttemptCount: 2 });
  });
});
