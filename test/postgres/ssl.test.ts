import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { describePg, type FreshDatabase, freshDatabase } from '../support/pg.js';
import { runYaml } from '../support/run.js';
import { type ScriptedServer, scriptedServer } from '../support/scripted-server.js';
import { tempDir } from '../support/workspace.js';

/** The first message of a client that asks for TLS (PostgreSQL's SSLRequest: length 8, code 80877103). */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 4, 210, 22, 47]);

/**
 * A TLS front for the local PostgreSQL server (which has SSL off): it answers a client's SSLRequest with `S`,
 * takes the TLS handshake with a certificate of a CA made for the test, and passes the decrypted protocol to
 * the server. Anything else is refused, as a server that requires SSL would.
 */
async function tlsFront(upstream: URL, key: string, cert: string) {
  const secured: Socket[] = [];
  const server: Server = createServer((socket) => {
    socket.once('data', (first) => {
      if (!first.subarray(0, 8).equals(SSL_REQUEST)) return socket.destroy();
      socket.write('S');
      const tls = new TLSSocket(socket, { isServer: true, key, cert });
      const plain = connect(Number(upstream.port || 5432), upstream.hostname);
      tls.on('secure', () => secured.push(socket));
      tls.pipe(plain).pipe(tls);
      const close = () => {
        tls.destroy();
        plain.destroy();
      };
      tls.on('error', close);
      plain.on('error', close);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { port, secured, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A CA and a certificate it signed for 127.0.0.1, made with openssl for this run. */
function certificates(dir: string): { ca: string; key: string; cert: string } {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=restlake test CA',
  );
  run('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  run(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
  );
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  return { ca: read('ca.pem'), key: read('server.key'), cert: read('server.pem') };
}

/** The certificates are made with openssl; without it the suite is skipped, saying so. */
const opensslMissing = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
    return false;
  } catch {
    console.warn('PostgreSQL over TLS: skipped, openssl is not installed');
    return true;
  }
})();

(opensslMissing ? describe.skip : describePg)('PostgreSQL over TLS', () => {
  const tmp = tempDir();
  let db: FreshDatabase;
  let front: Awaited<ReturnType<typeof tlsFront>>;
  let api: ScriptedServer;

  beforeAll(async () => {
    db = await freshDatabase();
    const { key, cert } = certificates(tmp.dir);
    front = await tlsFront(new URL(db.url), key, cert);
    api = await scriptedServer(() => ({ body: [{ id: 1, name: 'over TLS' }] }));
  });
  afterAll(async () => {
    await api?.close();
    await front?.close();
    await db?.drop();
    tmp.cleanup();
  });

  const pipeline = (id: string, ssl: unknown) => ({
    id,
    source: { base_url: api.url, retry: { max_attempts: 1 } },
    resources: [{ name: 'items', endpoint: {}, primary_key: ['id'], write: 'merge' }],
    destination: {
      type: 'postgres',
      host: '127.0.0.1',
      port: front.port,
      database: db.name,
      user: db.user,
      schema: id,
      ssl,
    },
  });

  test('ssl.ca from a file verifies the server: the load goes through the TLS connection', async () => {
    const [outcome] = await runYaml(tmp.dir, pipeline('verified', { ca: '${file:./ca.pem}' }));
    expect(outcome).toMatchObject({ status: 'SUCCESS', totalRows: 1 });
    expect(front.secured.length).toBeGreaterThan(0);
    expect(await db.query('SELECT name FROM verified.items')).toEqual([{ name: 'over TLS' }]);
  });

  test('a server whose certificate no trusted CA signed is refused, with the reason', async () => {
    await expect(runYaml(tmp.dir, pipeline('unverified', true))).rejects.toThrow(
      /cannot connect to PostgreSQL at 127\.0\.0\.1:\d+\/rl_\w+: unable to verify the first certificate/,
    );
  });

  test('reject_unauthorized: false accepts it (testing only)', async () => {
    const [outcome] = await runYaml(tmp.dir, pipeline('unchecked', { reject_unauthorized: false }));
    expect(outcome).toMatchObject({ status: 'SUCCESS', totalRows: 1 });
  });
});
