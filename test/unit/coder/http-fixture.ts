// Throw-away HTTP servers on 127.0.0.1 for the client tests, plus a client
// whose sleep, clock and jitter are deterministic. Not a simulator: each test
// scripts exactly the answers it needs.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoderClient, type CoderClientOptions } from '../../../src/coder/client.ts';

export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Answers one request; `index` counts requests from 0. Leave `res` alone to never answer. */
export type Handler = (req: Recorded, res: ServerResponse, index: number) => unknown;

export interface TestServer {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

export async function startServer(handler: Handler): Promise<TestServer> {
  const requests: Recorded[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const recorded: Recorded = {
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    requests.push(recorded);
    await handler(recorded, res, requests.length - 1);
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

export function sendJson(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
}

export const TOKEN = 'abcdef1234-SeCrEtSeCrEtSeCrEtSeCr22';

export interface FakeTime {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Every sleep asked for, in order (backoff, Retry-After and limiter waits). */
  sleeps: number[];
}

/** A clock that only moves when something sleeps, so waits are measured, not waited. */
export function fakeTime(start = 1_000_000): FakeTime {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => t,
    // Time moves when the sleep ends, after whatever was already due has run.
    sleep: async (ms: number) => {
      sleeps.push(ms);
      await new Promise((resolve) => setImmediate(resolve));
      t += ms;
    },
    sleeps,
  };
}

/** random() = 1 makes full jitter sleep its ceiling: 200, 400, 800, 1600 ms. */
export function testClient(url: string, time: FakeTime, overrides: Partial<CoderClientOptions> = {}): CoderClient {
  return new CoderClient({
    url,
    token: TOKEN,
    random: () => 1,
    sleep: time.sleep,
    now: time.now,
    ...overrides,
  });
}

export function workspace(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, name: `ws-${id}`, owner_name: 'alice', owner_id: 'u-alice', favorite: false, ...extra };
}
