import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { jwtVerify } from 'jose';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { parsePipeline } from '../../src/config/load.js';
import { sourceSchema } from '../../src/config/schema.js';
import type { Clock } from '../../src/core/clock.js';
import { redact } from '../../src/core/redact.js';
import { HttpClient } from '../../src/http/client.js';
import { steppingClock } from '../support/clocks.js';
import { type ScriptedRequest, type ScriptedServer, scriptedServer } from '../support/scripted-server.js';
import { tempDir } from '../support/workspace.js';

const tmp = tempDir();
const servers: ScriptedServer[] = [];
const clients: HttpClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(() => tmp.cleanup());

async function serve(handler: Parameters<typeof scriptedServer>[0]): Promise<ScriptedServer> {
  const server = await scriptedServer(handler);
  servers.push(server);
  return server;
}

function client(source: Record<string, unknown>, clock: Clock = steppingClock()): HttpClient {
  const created = new HttpClient(
    sourceSchema.parse({ retry: { max_attempts: 3, initial_delay: 1 }, max_concurrency: 8, ...source }),
    { clock },
  );
  clients.push(created);
  return created;
}

/** `count` GET requests, `concurrency` at a time. */
async function load(http: HttpClient, count: number, concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        await http.request({ method: 'GET', path: '/data' });
      }
    }),
  );
}

const form = (r: ScriptedRequest) => Object.fromEntries(new URLSearchParams(r.body));
const tokenRequests = (s: ScriptedServer) => s.requests.filter((r) => r.path === '/oauth/token');
const dataRequests = (s: ScriptedServer) => s.requests.filter((r) => r.path === '/data');

describe('oauth2_client_credentials', () => {
  /** A token server that accepts only the newest token it issued, and revokes it after `revokeAfter` uses. */
  function tokenServer(options: { expiresIn?: number; revokeAfter?: number } = {}) {
    let issued = 0;
    let uses = 0;
    return serve((r) => {
      if (r.path === '/oauth/token') {
        issued++;
        uses = 0;
        return {
          body: {
            access_token: `access-${issued}-secretvalue`,
            token_type: 'Bearer',
            expires_in: options.expiresIn ?? 3600,
          },
        };
      }
      if (r.headers.authorization !== `Bearer access-${issued}-secretvalue`)
        return { status: 401, body: { error: 'invalid_token' } };
      uses++;
      if (options.revokeAfter && uses > options.revokeAfter)
        return { status: 401, body: { error: 'expired' } };
      return { body: { ok: true }, delayMs: 2 };
    });
  }

  const auth = (url: string, extra: Record<string, unknown> = {}) => ({
    type: 'oauth2_client_credentials',
    token_url: `${url}/oauth/token`,
    client_id: 'restlake-client',
    client_secret: 'client-secret-4f9a2c',
    ...extra,
  });

  test('sends id and secret as form fields with scopes and extra params; one token serves concurrent requests', async () => {
    const server = await tokenServer();
    const http = client({
      base_url: server.url,
      auth: auth(server.url, { scopes: ['read', 'write'], params: { audience: 'https://api' } }),
    });
    await load(http, 40, 8);
    const tokens = tokenRequests(server);
    expect(tokens).toHaveLength(1);
    expect(form(tokens[0]!)).toEqual({
      grant_type: 'client_credentials',
      client_id: 'restlake-client',
      client_secret: 'client-secret-4f9a2c',
      scope: 'read write',
      audience: 'https://api',
    });
    expect(tokens[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(dataRequests(server)).toHaveLength(40);
  });

  test('client_auth: basic sends the client in an Authorization header, not in the form', async () => {
    const server = await tokenServer();
    const http = client({
      base_url: server.url,
      auth: auth(server.url, { client_auth: 'basic', scopes: 'read' }),
    });
    await http.request({ method: 'GET', path: '/data' });
    const [token] = tokenRequests(server);
    expect(token!.headers.authorization).toBe(
      `Basic ${Buffer.from('restlake-client:client-secret-4f9a2c').toString('base64')}`,
    );
    expect(form(token!)).toEqual({ grant_type: 'client_credentials', scope: 'read' });
  });

  test('a token that the server expires mid-run is renewed once, however many requests were in flight', async () => {
    const server = await tokenServer({ revokeAfter: 30 });
    const http = client({ base_url: server.url, auth: auth(server.url) });
    await load(http, 80, 8);
    // Initial token, then one renewal per revocation: 80 uses at 30 per token need three tokens.
    expect(tokenRequests(server)).toHaveLength(3);
    const rejected = dataRequests(server).filter((r) =>
      r.headers.authorization?.startsWith('Bearer access-1'),
    );
    expect(rejected.length).toBeGreaterThan(30);
    expect(http.stats.requests).toBe(server.requests.length);
  });

  test('a token is renewed shortly before expires_in runs out, by one request for all', async () => {
    const server = await tokenServer({ expiresIn: 3600 });
    const clock = steppingClock();
    const http = client({ base_url: server.url, auth: auth(server.url) }, clock);
    await load(http, 10, 8);
    clock.advance(3_540_000 - 1);
    await load(http, 10, 8);
    expect(tokenRequests(server)).toHaveLength(1);
    clock.advance(1);
    await load(http, 10, 8);
    expect(tokenRequests(server)).toHaveLength(2);
    // Renewed before the server saw the old token fail: no 401 at all.
    expect(dataRequests(server)).toHaveLength(30);
  });

  test('a token endpoint that rejects the client fails as AUTH_FAILED with its error, secret masked', async () => {
    const server = await serve((r) =>
      r.path === '/oauth/token'
        ? {
            status: 401,
            body: { error: 'invalid_client', error_description: `unknown secret ${form(r).client_secret}` },
          }
        : { body: {} },
    );
    const http = client({ base_url: server.url, auth: auth(server.url) });
    const failure = (await http.request({ method: 'GET', path: '/data' }).catch((e: unknown) => e)) as Error;
    expect(failure).toMatchObject({ code: 'AUTH_FAILED', status: 401 });
    expect(failure.message).toMatch(
      /token request to http:\/\/127\.0\.0\.1:\d+\/oauth\/token answered 401: invalid_client \(unknown secret \*\*\*\)/,
    );
    expect(tokenRequests(server)).toHaveLength(1);
    expect(dataRequests(server)).toHaveLength(0);
  });

  test('a token endpoint answering 503 is retried like any request', async () => {
    let calls = 0;
    const server = await serve((r) => {
      if (r.path !== '/oauth/token') return { body: {} };
      calls++;
      return calls === 1 ? { status: 503 } : { body: { access_token: 'late-token-123', expires_in: 60 } };
    });
    const http = client({ base_url: server.url, auth: auth('', { token_url: '/oauth/token' }) });
    await http.request({ method: 'GET', path: '/data' });
    expect(dataRequests(server)[0]!.headers.authorization).toBe('Bearer late-token-123');
    expect(
      http.log
        .records()
        .filter((r) => r.auth)
        .map((r) => r.status),
    ).toEqual([503, 200]);
  });
});

describe('oauth2_refresh_token', () => {
  test('buys access tokens with the refresh token, and uses a rotated refresh token for the next renewal', async () => {
    let issued = 0;
    const server = await serve((r) => {
      if (r.path === '/oauth/token') {
        issued++;
        return {
          body: { access_token: `at-${issued}-xyz`, refresh_token: `rt-rotated-${issued}`, expires_in: 3600 },
        };
      }
      // Every third data request finds its token expired.
      return r.n % 3 === 2 ? { status: 401 } : { body: { ok: true } };
    });
    const http = client({
      base_url: server.url,
      auth: {
        type: 'oauth2_refresh_token',
        token_url: `${server.url}/oauth/token`,
        refresh_token: 'rt-original-secret',
        client_id: 'app',
        client_secret: 'app-secret-77',
      },
    });
    for (let i = 0; i < 3; i++) await http.request({ method: 'GET', path: '/data' });
    const grants = tokenRequests(server).map(form);
    expect(grants.map((g) => g.refresh_token)).toEqual([
      'rt-original-secret',
      'rt-rotated-1',
      'rt-rotated-2',
    ]);
    expect(grants[0]).toMatchObject({
      grant_type: 'refresh_token',
      client_id: 'app',
      client_secret: 'app-secret-77',
    });
    expect(redact('rt-rotated-1 at-2-xyz')).toBe('*** ***');
  });
});

describe('jwt', () => {
  const keys = {
    RS256: generateKeyPairSync('rsa', { modulusLength: 2048 }),
    ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  };
  const hsSecret = 'hs256-shared-secret-0123456789abcdef';

  test.each(['HS256', 'RS256', 'ES256'] as const)(
    '%s: a token with the claims, iat and exp that the server verifies',
    async (algorithm) => {
      const clock = steppingClock();
      const verifyKey =
        algorithm === 'HS256' ? new TextEncoder().encode(hsSecret) : keys[algorithm].publicKey;
      const seen: Array<Record<string, unknown>> = [];
      const server = await serve(async (r) => {
        try {
          const token = String(r.headers.authorization).replace(/^Bearer /, '');
          const { payload, protectedHeader } = await jwtVerify(token, verifyKey, {
            issuer: 'restlake-test',
            audience: 'https://api.example.com',
            algorithms: [algorithm],
            currentDate: clock.now(),
          });
          seen.push({ ...payload, kid: protectedHeader.kid });
          return { body: { ok: true } };
        } catch (error) {
          return { status: 401, body: { error: (error as Error).message } };
        }
      });
      if (algorithm !== 'HS256') {
        writeFileSync(
          tmp.path(`${algorithm}.pem`),
          keys[algorithm].privateKey.export({ type: 'pkcs8', format: 'pem' }),
        );
      }
      const config = parsePipeline(
        {
          id: 'jwt_test',
          source: {
            base_url: server.url,
            auth: {
              type: 'jwt',
              algorithm,
              key: algorithm === 'HS256' ? hsSecret : `\${file:./${algorithm}.pem}`,
              key_id: 'key-1',
              claims: { iss: 'restlake-test', aud: 'https://api.example.com', scope: 'read' },
              expires_in: '10m',
            },
          },
          resources: [{ name: 'x', endpoint: {} }],
        },
        tmp.dir,
      );
      const http = new HttpClient(config.source, { clock });
      clients.push(http);
      await http.request({ method: 'GET', path: '/data' });
      await http.request({ method: 'GET', path: '/data' });
      clock.advance(9 * 60_000);
      await http.request({ method: 'GET', path: '/data' });
      const iat = Math.floor(Date.parse('2025-01-01T00:00:00Z') / 1000);
      expect(seen).toEqual([
        {
          iss: 'restlake-test',
          aud: 'https://api.example.com',
          scope: 'read',
          iat,
          exp: iat + 600,
          kid: 'key-1',
        },
        {
          iss: 'restlake-test',
          aud: 'https://api.example.com',
          scope: 'read',
          iat,
          exp: iat + 600,
          kid: 'key-1',
        },
        // Less than a tenth of its life left: signed again.
        {
          iss: 'restlake-test',
          aud: 'https://api.example.com',
          scope: 'read',
          iat: iat + 540,
          exp: iat + 1140,
          kid: 'key-1',
        },
      ]);
    },
  );

  test.each([
    [
      'HS256 short',
      { algorithm: 'HS256', key: 'short' },
      /source\.auth\.key: an HS256 key must be at least 32 bytes long/,
    ],
    [
      'RS256 not PEM',
      { algorithm: 'RS256', key: 'not a pem at all, really' },
      /source\.auth\.key: RS256 needs a PEM private key/,
    ],
    [
      'ES256 with an RSA key',
      { algorithm: 'ES256', key: keys.RS256.privateKey.export({ type: 'pkcs8', format: 'pem' }) },
      /source\.auth\.key: ES256 needs an EC P-256 private key, got rsa/,
    ],
  ])('a key that cannot sign is a config error naming the key: %s', (_label, auth, message) => {
    expect(() =>
      parsePipeline(
        {
          id: 'j',
          source: { base_url: 'http://x.test', auth: { type: 'jwt', ...auth } },
          resources: [{ name: 'x', endpoint: {} }],
        },
        tmp.dir,
      ),
    ).toThrow(message);
  });
});

describe('session', () => {
  test('logs in with the credentials, sends the token from the response, logs in again after a 401', async () => {
    let sessions = 0;
    let served = 0;
    const server = await serve((r) => {
      if (r.path === '/auth/login') {
        const body = JSON.parse(r.body) as { user: string; password: string };
        if (body.password !== 'pa55-word-secret') return { status: 403, body: { error: 'bad password' } };
        sessions++;
        return { body: { data: { session: `sess-${sessions}-abcdef` } } };
      }
      if (r.headers['x-session'] !== `Token sess-${sessions}-abcdef`) return { status: 401 };
      // The server ends the first session after two requests.
      served++;
      return sessions === 1 && served > 2 ? { status: 401 } : { body: { ok: true } };
    });
    const http = client({
      base_url: `${server.url}/api`,
      auth: {
        type: 'session',
        login_url: `${server.url}/auth/login`,
        body: { user: 'loader', password: 'pa55-word-secret' },
        token_path: 'data.session',
        header: 'X-Session',
        prefix: 'Token ',
      },
    });
    for (let i = 0; i < 4; i++) await http.request({ method: 'GET', path: '/data' });
    const logins = server.requests.filter((r) => r.path === '/auth/login');
    expect(logins).toHaveLength(2);
    expect(logins[0]).toMatchObject({
      method: 'POST',
      body: '{"user":"loader","password":"pa55-word-secret"}',
    });
    expect(logins[0]!.headers['content-type']).toBe('application/json');
    expect(redact('sess-2-abcdef')).toBe('***');
  });

  test('a login response without the token fails naming the path', async () => {
    const server = await serve(() => ({ body: { data: {} } }));
    const http = client({
      base_url: server.url,
      auth: {
        type: 'session',
        login_url: '/login',
        format: 'form',
        body: { user: 'a' },
        token_path: 'data.token',
      },
    });
    await expect(http.request({ method: 'GET', path: '/data' })).rejects.toMatchObject({
      code: 'AUTH_FAILED',
      message: expect.stringMatching(/login response from .*\/login has no token at data\.token/),
    });
    expect(server.requests[0]).toMatchObject({ path: '/login', body: 'user=a' });
  });
});
