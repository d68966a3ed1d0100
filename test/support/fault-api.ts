import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seeded } from '../../src/sample-api/datasets.js';

/**
 * An API that misbehaves on purpose, deterministically: a seeded schedule decides which requests fail and how,
 * while the data (the ground truth) is a pure function of the options, so a test can compute exactly what the
 * silver table must hold after any mix of faults.
 *
 * Transport faults (`burst_5xx`, `rate_limited`, `reset_mid_body`, `invalid_json`, `truncated_json`,
 * `html_error`, `slow`, `empty_body`, `repeated_cursor`) each strike once (or `repeats` times), then the API
 * behaves: a load that failed under them must succeed on a rerun and resume where it stopped. Data faults
 * (`duplicate_across_pages`, `record_changes`, `type_change`) are properties of the data and stay.
 */

export const TRANSPORT_FAULTS = [
  'burst_5xx',
  'rate_limited',
  'reset_mid_body',
  'invalid_json',
  'truncated_json',
  'html_error',
  'slow',
  'empty_body',
  'repeated_cursor',
] as const;
export const DATA_FAULTS = ['duplicate_across_pages', 'record_changes', 'type_change'] as const;
export type TransportFault = (typeof TRANSPORT_FAULTS)[number];
export type DataFault = (typeof DATA_FAULTS)[number];
export type Fault = TransportFault | DataFault;

export type Pagination = 'page_number' | 'offset' | 'cursor';

export interface FaultApiOptions {
  seed: number;
  records: number;
  pageSize: number;
  faults: readonly Fault[];
  /** Probability that a request is struck by a transport fault, while the budget lasts. */
  rate?: number;
  /** How many times each transport fault of the mix strikes (default once), in a seeded order. */
  repeats?: number;
  /** How long a `slow` answer takes: longer than the client's timeout. */
  slowMs?: number;
  /** Added to every answer, so that a process can be killed while requests are in flight. */
  latencyMs?: number;
}

export interface FaultRecord {
  id: number;
  name: string;
  amount: number | string;
  version: number;
  updated_at: string;
  tags: string[];
  profile: { tier: string; score: number };
}

export interface FaultApi {
  url: string;
  /** Requests seen, and the faults that struck them, for the test's assertions. */
  log: Array<{ path: string; query: string; fault: TransportFault | undefined }>;
  /** The records as the API holds them now (record_changes bumps one during the run). */
  truth(): FaultRecord[];
  /** The rows one complete, fault-free pass over the pages returns, duplicates included (for append). */
  onePass(): FaultRecord[];
  /** Transport faults of the mix that have not struck yet (the test runs until none is left). */
  pending(): readonly TransportFault[];
  /** The id of the record `record_changes` changes mid-run (undefined without that fault). */
  changedId(): number | undefined;
  close(): Promise<void>;
}

const T0 = Date.UTC(2024, 0, 1);
const TIERS = ['free', 'pro', 'team'];

export async function startFaultApi(options: FaultApiOptions): Promise<FaultApi> {
  const random = seeded(options.seed);
  const has = (fault: Fault) => options.faults.includes(fault);
  const transport = options.faults.filter((f): f is TransportFault =>
    (TRANSPORT_FAULTS as readonly string[]).includes(f),
  );
  // Every fault of the mix strikes `repeats` times, in a seeded order: a mix is tested whole, not by luck.
  const pending = Array.from({ length: options.repeats ?? 1 }, () => transport)
    .flat()
    .map((fault) => ({ fault, order: random() }))
    .sort((a, b) => a.order - b.order)
    .map((f) => f.fault);
  const rate = options.rate ?? 0.5;
  const pages = Math.ceil(options.records / options.pageSize);
  // record_changes: record `changed` gets version 2 once the API has served the page after it.
  const changed = Math.floor(random() * options.records);
  const changeAfterPage = Math.min(pages - 1, Math.floor(changed / options.pageSize) + 1);
  let bumped = false;

  const record = (i: number): FaultRecord => {
    const version = bumped && i === changed ? 2 : 1;
    // type_change: amounts are integers on the first half of the pages, decimal strings after.
    const late = Math.floor(i / options.pageSize) >= pages / 2;
    const cents = ((i * 7919) % 100_000) + version;
    return {
      id: i + 1,
      name: `record "${i + 1}", with, commas\nand a newline`,
      amount: has('type_change') && late ? (cents / 100).toFixed(2) : cents,
      version,
      updated_at: new Date(T0 + i * 60_000 + (version - 1) * 1000).toISOString(),
      tags: i % 3 === 0 ? [] : ['a', `t${i % 7}`],
      profile: { tier: TIERS[i % 3]!, score: (i % 1000) / 10 },
    };
  };
  const page = (p: number): FaultRecord[] => {
    const items: FaultRecord[] = [];
    for (let i = p * options.pageSize; i < Math.min(options.records, (p + 1) * options.pageSize); i++)
      items.push(record(i));
    // duplicate_across_pages: each page but the last also carries the first record of the next page.
    if (has('duplicate_across_pages') && p < pages - 1) items.push(record((p + 1) * options.pageSize));
    return items;
  };

  let burst = 0;
  const log: FaultApi['log'] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const q = url.searchParams;
    const p =
      q.has('cursor') && q.get('cursor') !== ''
        ? Number(Buffer.from(q.get('cursor')!, 'base64url').toString())
        : q.has('offset')
          ? Math.floor(Number(q.get('offset')) / options.pageSize)
          : Number(q.get('page') ?? 1) - 1;
    let fault: TransportFault | undefined;
    if (burst > 0) {
      burst--;
      fault = 'burst_5xx';
    } else if (pending.length > 0 && random() < rate) {
      fault = pending[0]!;
      // A cursor can only repeat once there is one (from the second page on).
      if (fault === 'repeated_cursor' && !q.get('cursor')) fault = undefined;
      else pending.shift();
      // A burst longer than the client's attempts fails the load; the rerun must resume.
      if (fault === 'burst_5xx') burst = Math.floor(random() * 6);
    }
    log.push({ path: url.pathname, query: url.search, fault });
    const items = p >= 0 && p < pages ? page(p) : [];
    if (!fault && !bumped && has('record_changes') && p >= changeAfterPage) bumped = true;
    const next = p + 1 < pages ? Buffer.from(String(p + 1)).toString('base64url') : null;
    const body = JSON.stringify({
      data: items,
      next_cursor: fault === 'repeated_cursor' ? (q.get('cursor') ?? null) : next,
      total: options.records,
    });
    const answer = () => reply(res, fault, body, options.slowMs ?? 2_000);
    if (options.latencyMs) setTimeout(answer, options.latencyMs);
    else answer();
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const truth = () => Array.from({ length: options.records }, (_, i) => record(i));
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    truth,
    onePass: () => Array.from({ length: pages }, (_, p) => page(p)).flat(),
    pending: () => pending,
    changedId: () => (has('record_changes') ? changed + 1 : undefined),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function reply(res: ServerResponse, fault: TransportFault | undefined, body: string, slowMs: number): void {
  const json = { 'content-type': 'application/json' };
  switch (fault) {
    case 'burst_5xx':
      res.writeHead(503, json).end('{"error":"service unavailable"}');
      return;
    case 'rate_limited':
      res.writeHead(429, { ...json, 'retry-after': '1' }).end('{"error":"slow down"}');
      return;
    case 'reset_mid_body':
      res.writeHead(200, { ...json, 'content-length': String(Buffer.byteLength(body)) });
      res.write(body.slice(0, Math.floor(body.length / 2)));
      setTimeout(() => res.socket?.destroy(), 5);
      return;
    case 'invalid_json':
      res.writeHead(200, json).end(`${body.slice(0, 40)}}}]{`);
      return;
    case 'truncated_json':
      res.writeHead(200, json).end(body.slice(0, Math.floor(body.length * 0.7)));
      return;
    case 'html_error':
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>');
      return;
    case 'slow':
      setTimeout(() => {
        if (!res.destroyed) res.writeHead(200, json).end(body);
      }, slowMs);
      return;
    case 'empty_body':
      res.writeHead(200, json).end('');
      return;
    default:
      res.writeHead(200, { ...json, 'content-length': String(Buffer.byteLength(body)) }).end(body);
  }
}
