import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cli } from '../support/cli.js';
import { type ScriptedServer, scriptedServer } from '../support/scripted-server.js';
import { tempDir, writePipeline } from '../support/workspace.js';

const tmp = tempDir();
let server: ScriptedServer;
const TOKEN = 'check-token-5e8f1a';

beforeAll(async () => {
  server = await scriptedServer(({ path, headers }) => {
    switch (path) {
      case '/customers':
        return {
          body: [{ id: 1 }, { id: 2 }, { id: 3 }],
          headers: { 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '59' },
        };
      case '/pages':
        // Always a full page: a load would go on to the next one.
        return { body: [{ id: 1 }, { id: 2 }] };
      case '/health':
        return { body: { ok: true }, headers: { 'ratelimit-policy': '10;w=1' } };
      case '/unauthorized':
        // APIs echo what they were sent: the check's output must still not show the token.
        return { status: 401, body: { error: `invalid token: ${headers.authorization}` } };
      case '/forbidden':
        return { status: 403, body: { error: 'missing scope orders:read' } };
      case '/html':
        return { raw: '<html>Service temporarily unavailable</html>' };
      case '/slow':
        return { delayMs: 3_000, body: [] };
      default:
        return { status: 404, body: { error: 'no such endpoint' } };
    }
  });
});
afterAll(async () => {
  await server.close();
  tmp.cleanup();
});

function pipeline(id: string, resources: string[], source: Record<string, unknown> = {}) {
  return writePipeline(tmp.dir, `${id}.yaml`, {
    id,
    source: { base_url: server.url, auth: { type: 'bearer', token: '${env:CHECK_TOKEN}' }, ...source },
    resources: resources.map((name) => ({ name, endpoint: { path: `/${name}` } })),
  });
}
const run = (...args: string[]) => cli(['check', ...args], { cwd: tmp.dir, env: { CHECK_TOKEN: TOKEN } });

describe('restlake check', () => {
  test('a healthy source: status, latency, records and rate-limit headers; exit 0', async () => {
    const result = await run(pipeline('good', ['customers']));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /good\s+customers\s+ok\s+200\s+\d+ms\s+3\s+bearer\s+x-ratelimit-limit=60 x-ratelimit-remaining=59/,
    );
    expect(result.stdout).toContain('all 1 call succeeded');
  });

  test('a paginated resource: one page read, and no request sent for the next', async () => {
    const file = writePipeline(tmp.dir, 'paged.yaml', {
      id: 'paged',
      source: { base_url: server.url, max_concurrency: 4 },
      resources: [
        { name: 'pages', endpoint: { path: '/pages' }, paginator: { type: 'page_number', page_size: 2 } },
      ],
    });
    const before = server.requests.length;
    const result = await run(file);
    expect(result.code).toBe(0);
    expect(server.requests.slice(before).map((r) => r.query.get('page'))).toEqual(['1']);
  });

  test('source.health_check is called instead of the resources', async () => {
    const before = server.requests.length;
    const file = pipeline('health', ['customers', 'orders'], { health_check: { path: '/health' } });
    const result = await run(file, '--json');
    expect(result.code).toBe(0);
    const probes = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    expect(probes).toEqual([
      expect.objectContaining({
        config: 'health',
        target: 'health_check',
        ok: true,
        status: 200,
        rateLimit: { 'ratelimit-policy': '10;w=1' },
      }),
    ]);
    expect(server.requests.slice(before).map((r) => r.path)).toEqual(['/health']);
  });

  test('each failure class gets its own readable reason, and the exit code says a call failed', async () => {
    const broken = pipeline('broken', ['unauthorized', 'forbidden', 'missing', 'html', 'slow'], {
      timeout: { headers: '300ms' },
    });
    const dns = writePipeline(tmp.dir, 'dns.yaml', {
      id: 'dns',
      source: { base_url: 'http://api.restlake.invalid/v1' },
      resources: [{ name: 'customers', endpoint: { path: '/customers' } }],
    });
    const refused = writePipeline(tmp.dir, 'refused.yaml', {
      id: 'refused',
      source: { base_url: 'http://127.0.0.1:1' },
      resources: [{ name: 'customers', endpoint: { path: '/customers' } }],
    });
    const result = await run(broken, dns, refused);
    expect(result.code).toBe(4);
    const out = result.stdout;
    expect(out).toContain('7 of 7 calls failed');
    expect(out).toMatch(
      /✗ broken\.unauthorized: authentication failed \(401\): the credentials were rejected; check source\.auth/,
    );
    expect(out).toMatch(
      /✗ broken\.forbidden: forbidden \(403\): .*check scopes and permissions: .*missing scope orders:read/,
    );
    expect(out).toMatch(/✗ broken\.missing: not found \(404\): check base_url and the path/);
    expect(out).toMatch(
      /✗ broken\.html: bad JSON: GET .*\/html answered 200 with a body that is not JSON: <html>Service temporarily unavailable/,
    );
    expect(out).toMatch(
      /✗ broken\.slow: timeout: GET .*\/slow failed: no response within 300ms \(timeout\.headers\)/,
    );
    expect(out).toMatch(
      /✗ dns\.customers: DNS: api\.restlake\.invalid could not be resolved \((ENOTFOUND|EAI_AGAIN)\); check base_url/,
    );
    expect(out).toMatch(/✗ refused\.customers: connection refused by 127\.0\.0\.1:1/);
    expect(out).toMatch(/broken\s+unauthorized\s+unauthorized\s+401/);
    expect(out).not.toContain(TOKEN);
    expect(result.stderr).not.toContain(TOKEN);
  });

  test('only authentication failures: exit 3', async () => {
    const result = await run(pipeline('authonly', ['unauthorized']));
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('invalid token: Bearer ***');
  });

  test('a broken pipeline file is exit 2 before anything is called', async () => {
    const before = server.requests.length;
    const file = writePipeline(tmp.dir, 'bad.yaml', {
      id: 'bad',
      source: { base_url: server.url, rate_limit: {} },
      resources: [{ name: 'x', endpoint: {} }],
    });
    const result = await run(file);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /source\.rate_limit: give exactly one of requests_per_second, requests_per_minute, requests_per_hour/,
    );
    expect(server.requests.length).toBe(before);
  });
});
