import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadPipelineFile } from '../../src/config/load.js';
import { rebuildPipeline } from '../../src/pipeline/rebuild.js';
import { rows, runYaml, withWorkspace } from '../support/run.js';
import { pagesOf, type ScriptedServer, scriptedServer } from '../support/scripted-server.js';
import { tempDir } from '../support/workspace.js';

/**
 * Three levels of parent → child (organizations → repositories → issues), against a scripted API: a grandchild
 * walks its parent, which walks its own parent, and a failed grandchild load resumes where it stopped.
 */

const tmp = tempDir();
let api: ScriptedServer;
/** A request path the API answers with a 400 (once), to leave a checkpoint behind. */
let failOn: string | undefined;

const ORGS = Array.from({ length: 5 }, (_, i) => ({ id: i + 1, login: `org-${i + 1}` }));
const reposOf = (org: number) => [1, 2].map((r) => ({ id: org * 10 + r, name: `repo-${org}-${r}` }));
const issuesOf = (repo: number) => [1, 2, 3].map((n) => ({ id: repo * 100 + n, title: `issue ${n}` }));
const ALL_ISSUES = ORGS.flatMap((o) => reposOf(o.id)).flatMap((r) => issuesOf(r.id));

beforeAll(async () => {
  api = await scriptedServer((req) => {
    const page = Number(req.query.get('page') ?? 1);
    if (req.path === failOn) {
      failOn = undefined;
      return { status: 400, body: { error: 'scripted failure' } };
    }
    if (req.path === '/orgs') return { body: pagesOf(ORGS, 2)(page) };
    const repos = /^\/orgs\/(\d+)\/repos$/.exec(req.path);
    if (repos) return { body: reposOf(Number(repos[1])) };
    const issues = /^\/repos\/(\d+)\/issues$/.exec(req.path);
    if (issues) return { body: pagesOf(issuesOf(Number(issues[1])), 2)(page) };
    return { status: 404, body: { error: 'no such path' } };
  });
});
afterAll(async () => {
  await api.close();
  tmp.cleanup();
});

let n = 0;
function pipeline() {
  const db = tmp.path(`grandchildren-${++n}.duckdb`);
  return {
    destination: { type: 'duckdb', path: db },
    yaml: {
      id: `grandchildren_${n}`,
      // One request at a time: which pages a failure leaves uncommitted is then the same on every run.
      source: { base_url: api.url, retry: { max_attempts: 1 }, max_concurrency: 1 },
      batch_size: 2,
      resources: [
        {
          name: 'orgs',
          endpoint: { path: '/orgs' },
          paginator: { type: 'page_number', page_size: 2 },
          primary_key: ['id'],
          write: 'merge',
        },
        {
          name: 'repos',
          parent: 'orgs',
          endpoint: { path: '/orgs/{parent.id}/repos' },
          paginator: { type: 'single' },
          parent_fields: ['id', 'login'],
          primary_key: ['id'],
          write: 'merge',
        },
        {
          name: 'issues',
          parent: 'repos',
          // The organization reaches the grandchild through the parent's own parent fields.
          endpoint: { path: '/repos/{parent.id}/issues', headers: { 'X-Org': '{parent._parent_login}' } },
          paginator: { type: 'page_number', page_size: 2 },
          parent_fields: ['id', '_parent_id'],
          primary_key: ['id'],
          write: 'merge',
        },
      ],
      destination: { type: 'duckdb', path: db },
    },
  };
}

const issueRequests = (from: number) =>
  api.requests.slice(from).filter((r) => /^\/repos\/\d+\/issues$/.test(r.path));

test('a grandchild resource: every issue of every repository of every organization, with its parents', async () => {
  const p = pipeline();
  const from = api.requests.length;
  const outcomes = await runYaml(tmp.dir, p.yaml, { concurrency: 1 });
  expect(outcomes.map((o) => [o.resource, o.status, o.totalRows])).toEqual([
    ['orgs', 'SUCCESS', ORGS.length],
    ['repos', 'SUCCESS', ORGS.length * 2],
    ['issues', 'SUCCESS', ALL_ISSUES.length],
  ]);
  // Each repository's issues: two pages (2 + 1 issues), each fetched once, with its organization's header.
  const requests = issueRequests(from);
  expect(requests).toHaveLength(ORGS.length * 2 * 2);
  expect(requests.find((r) => r.path === '/repos/42/issues')?.headers['x-org']).toBe('org-4');
  await withWorkspace(p.destination, tmp.dir, async (ws) => {
    const got = await rows(
      ws,
      'SELECT id, _parent_id, _parent__parent_id FROM main.issues WHERE id IN (4203, 1101) ORDER BY id',
    );
    expect(got).toEqual([
      { id: 1101, _parent_id: 11, _parent__parent_id: 1 },
      { id: 4203, _parent_id: 42, _parent__parent_id: 4 },
    ]);
    const [wrong] = await rows(
      ws,
      'SELECT count(*) AS n FROM main.issues WHERE id // 100 <> _parent_id OR _parent_id // 10 <> _parent__parent_id',
    );
    expect(wrong).toEqual({ n: 0 });
  });
  // Bronze kept each page's parent fields, the grandparent's among them: a rebuild derives the same rows.
  const [rebuilt] = await rebuildPipeline(
    loadPipelineFile(join(tmp.dir, `${p.yaml.id}.yaml`)),
    `${p.yaml.id}.issues`,
  );
  expect(rebuilt).toMatchObject({ status: 'SUCCESS', totalRows: ALL_ISSUES.length });
  await withWorkspace(p.destination, tmp.dir, async (ws) => {
    const [row] = await rows(ws, 'SELECT _parent_id, _parent__parent_id FROM main.issues WHERE id = 4203');
    expect(row).toEqual({ _parent_id: 42, _parent__parent_id: 4 });
  });
});

test('a grandchild load that fails midway resumes without fetching again what it committed', async () => {
  const p = pipeline();
  failOn = '/repos/32/issues';
  let from = api.requests.length;
  const first = await runYaml(tmp.dir, p.yaml, { concurrency: 1 });
  expect(first.find((o) => o.resource === 'issues')?.status).toBe('PARTIAL');
  expect(issueRequests(from).map((r) => r.path)).toContain('/repos/31/issues');

  from = api.requests.length;
  const second = await runYaml(tmp.dir, p.yaml, { concurrency: 1 });
  expect(second.find((o) => o.resource === 'issues')).toMatchObject({
    status: 'SUCCESS',
    totalRows: ALL_ISSUES.length,
  });
  // The organizations page holding org 3 and the repositories of org 3 are fetched again; of the issues only
  // the pages not committed: repository 31's first page was (its second, a batch of one record, was not).
  const again = issueRequests(from).map((r) => `${r.path.split('/')[2]}:${r.query.get('page')}`);
  expect(again.sort()).toEqual([
    '31:2',
    '32:1',
    '32:2',
    '41:1',
    '41:2',
    '42:1',
    '42:2',
    '51:1',
    '51:2',
    '52:1',
    '52:2',
  ]);
  // The repos load fetches every organization's repositories once; the resumed issues load only those of
  // organizations 3 to 5 (the organizations page in progress and after).
  const repoLists = api.requests.slice(from).filter((r) => r.path.endsWith('/repos'));
  expect(repoLists.map((r) => Number(r.path.split('/')[2])).sort()).toEqual([1, 2, 3, 3, 4, 4, 5, 5]);
  await withWorkspace(p.destination, tmp.dir, async (ws) => {
    expect(await rows(ws, 'SELECT count(*) AS n, count(DISTINCT id) AS d FROM main.issues')).toEqual([
      { n: ALL_ISSUES.length, d: ALL_ISSUES.length },
    ]);
  });
});
