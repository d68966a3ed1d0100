import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cli } from '../support/cli.js';
import { rows, runYaml, withWorkspace } from '../support/run.js';
import { type Reply, type ScriptedServer, scriptedServer } from '../support/scripted-server.js';
import { tempDir, writePipeline } from '../support/workspace.js';

/**
 * Responses no API should send, but some do: each fails the load cleanly (a FAILED control row saying why,
 * the table as it was), and never ends the stream early as if the data were complete.
 */

const tmp = tempDir();
let server: ScriptedServer;
/** What page 2 answers in the current test; pages 1 and 3 are fine, page 4 is empty. */
let pageTwo: () => Reply;

const records = (page: number) =>
  page > 3 ? [] : Array.from({ length: 10 }, (_, i) => ({ id: (page - 1) * 10 + i + 1, page }));

beforeAll(async () => {
  server = await scriptedServer(({ query }) => {
    const page = Number(query.get('page') ?? 1);
    if (page === 2) return pageTwo();
    return { body: records(page) };
  });
});
afterAll(async () => {
  await server.close();
  tmp.cleanup();
});

interface Result {
  /** The failing run's outcome: status and error (code and message). */
  status: string;
  code: string;
  error: string;
  /** What the control table says of the load afterwards. */
  control: { LoadStatus: string; ErrorMessage: string | null };
  /** The ids in the table after the failing run. */
  ids: number[];
  /** `restlake run` as a process: exit code and output (when run through the CLI). */
  exit?: number | null;
  output?: string;
}

let n = 0;
/**
 * A healthy load fills the table, then a second load meets page 2's answer (in-process, or through the CLI
 * with `via: 'cli'`), so the test can see that a failed load leaves the table as it was.
 */
async function load(
  source: Record<string, unknown> = {},
  via: 'process' | 'cli' = 'process',
): Promise<Result> {
  const id = `responses_${++n}`;
  const destination = { type: 'duckdb', path: tmp.path(`${id}.duckdb`) };
  const healthy = pageTwo;
  pageTwo = () => ({ body: records(2) });
  const pipeline = {
    id,
    source: { base_url: server.url, retry: { max_attempts: 2, initial_delay: '1ms' }, ...source },
    resources: [
      {
        name: 'items',
        endpoint: { path: '/items' },
        paginator: { type: 'page_number' },
        primary_key: ['id'],
        write: 'replace',
      },
    ],
    destination,
  };
  const [first] = await runYaml(tmp.dir, pipeline);
  expect(first?.status).toBe('SUCCESS');
  pageTwo = healthy;
  let outcome: Pick<Result, 'status' | 'code' | 'error' | 'exit' | 'output'>;
  if (via === 'cli') {
    const file = writePipeline(tmp.dir, `${id}.yaml`, pipeline);
    const run = await cli(['run', file], { cwd: tmp.dir });
    const output = run.stdout + run.stderr;
    outcome = {
      status: /FAILED/.test(run.stdout) ? 'FAILED' : 'not FAILED',
      code: '',
      error: output,
      exit: run.code,
      output,
    };
  } else {
    const [second] = await runYaml(tmp.dir, pipeline);
    outcome = {
      status: second!.status,
      code: second!.error?.code ?? '',
      error: second!.error?.message ?? '',
    };
  }
  return withWorkspace(destination, tmp.dir, async (ws) => {
    const ids = (await rows(ws, 'SELECT id FROM main.items ORDER BY id')).map((r) => Number(r.id));
    const [control] = await rows(
      ws,
      `SELECT LoadStatus, ErrorMessage FROM metadata.api_control_table WHERE ConfigId = '${id}' ORDER BY IndexNo DESC LIMIT 1`,
    );
    return { ...outcome, ids, control: control as Result['control'] };
  });
}

const ALL = Array.from({ length: 30 }, (_, i) => i + 1);

/** The load failed with `code`, the table is as the healthy load left it, and the control row says FAILED. */
function expectFailedCleanly(result: Result, code: string): void {
  expect(result, result.error).toMatchObject({
    status: 'FAILED',
    code,
    ids: ALL,
    control: { LoadStatus: 'FAILED' },
  });
}

describe('a load fails cleanly, leaving the table as it was and its control row FAILED, when a page is', () => {
  test('an empty 200 body (not an empty page: the stream must not stop early)', async () => {
    pageTwo = () => ({ raw: '' });
    const result = await load();
    expectFailedCleanly(result, 'HTTP_BAD_BODY');
    expect(result.error).toMatch(/answered 200 with an empty body/);
  });

  test('an HTML error page with status 200', async () => {
    pageTwo = () => ({
      raw: '<html><body><h1>Bad Gateway</h1></body></html>',
      headers: { 'content-type': 'text/html' },
    });
    const result = await load();
    expectFailedCleanly(result, 'HTTP_BAD_BODY');
    expect(result.error).toMatch(/not JSON: <html><body><h1>Bad Gateway/);
  });

  test('larger than source.max_response_bytes (HTTP_TOO_LARGE, not retried)', async () => {
    const padding = 'x'.repeat(1000);
    pageTwo = () => ({ body: Array.from({ length: 100 }, (_, i) => ({ id: 11 + i, padding })) });
    const before = server.requests.length;
    const result = await load({ max_response_bytes: '64KB' });
    expectFailedCleanly(result, 'HTTP_TOO_LARGE');
    expect(result.error).toMatch(
      /answered 200 with a body of .*, more than max_response_bytes \(65536 bytes\)/,
    );
    expect(result.control.ErrorMessage).toMatch(/more than max_response_bytes/);
    // Page 2 once for the healthy load, once for the failing one: a body too large is not asked for again.
    const pageTwos = server.requests.slice(before).filter((r) => r.query.get('page') === '2');
    expect(pageTwos).toHaveLength(2);
  });

  test('JSON nested far deeper than any record should be (NESTING_TOO_DEEP, not a stack overflow)', async () => {
    const depth = 20_000;
    pageTwo = () => ({ raw: `[{"id": 11, "deep": ${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}]` });
    const result = await load();
    expectFailedCleanly(result, 'NESTING_TOO_DEEP');
    expect(result.error).toMatch(
      /^items, page 1, record 0: nested too deeply: more than 1000 levels of objects and arrays .*\(column "deep\.a\.a\.a…"\)$/,
    );
    expect(result.control.ErrorMessage).toMatch(/nested too deeply/);

    // And through the CLI: a failed load (exit 4) with the same reason, not an unexpected error (exit 1).
    const cli = await load({}, 'cli');
    expect(cli, cli.output).toMatchObject({ exit: 4, ids: ALL, control: { LoadStatus: 'FAILED' } });
    expect(cli.output).toMatch(/nested too deeply/);
    expect(cli.output).not.toMatch(/call stack/);
  });
});

test('a 204 No Content answer is an empty page: the stream ends there', async () => {
  pageTwo = () => ({ status: 204, raw: '' });
  const result = await load();
  expect(result, result.error).toMatchObject({ status: 'SUCCESS', ids: ALL.slice(0, 10) });
});
