import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a scripted server does with one request. */
export type Reply =
  | {
      status?: number;
      body?: unknown;
      raw?: string | Buffer;
      headers?: Record<string, string>;
      delayMs?: number;
    }
  | { destroy: true };

export interface ScriptedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
  /** 0-based count of requests this server has seen. */
  n: number;
}

export interface ScriptedServer {
  url: string;
  requests: ScriptedRequest[];
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 (port 0) whose every answer is decided by the test: fail the third
 * request with a 503, drop the socket, answer slowly, send HTML with status 200...
 */
export async function scriptedServer(
  handler: (request: ScriptedRequest) => Reply | Promise<Reply>,
): Promise<ScriptedServer> {
  const requests: ScriptedRequest[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const request: ScriptedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks).toString(),
      n: requests.length,
    };
    requests.push(request);
    const reply = await handler(request);
    if ('destroy' in reply) {
      req.socket.destroy();
      return;
    }
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    if (res.destroyed) return;
    const text = reply.raw ?? JSON.stringify(reply.body ?? null);
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Pages of `records` served by page number (`?page=1` first), with an empty page at the end. */
export function pagesOf<T>(records: readonly T[], pageSize: number) {
  return (page: number): T[] => records.slice((page - 1) * pageSize, page * pageSize);
}
