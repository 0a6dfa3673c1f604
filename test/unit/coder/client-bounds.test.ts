// Bounds on what a server can make the client do (issue 12 item 4): a body
// larger than the limit is cut off while it streams, fails clearly and is not
// retried; an error body is read only far enough for Coder's message; and
// retries stop at a deadline across attempts, not only at a count.
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { CoderApiError, CoderNetworkError, CoderResponseTooLargeError } from '../../../src/coder/errors.ts';
import { MAX_BODY_BYTES, MAX_ERROR_BODY_BYTES } from '../../../src/coder/transport.ts';
import { fakeTime, sendJson, startServer, testClient, type TestServer } from './http-fixture.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const MiB = 1024 * 1024;

interface Sent {
  bytes: number;
  closed: boolean;
  /** Resolves when the client hung up (or the body ended). */
  done: Promise<void>;
  end: () => void;
}

function sentCounter(): Sent {
  let end = () => {};
  const done = new Promise<void>((r) => (end = r));
  return { bytes: 0, closed: false, done, end };
}

/** Streams `prefix` then filler until the client hangs up or `total` bytes went out; records how much was written. */
function endless(
  res: ServerResponse,
  status: number,
  prefix: string,
  total: number,
  sent: Sent = sentCounter(),
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  res.write(prefix);
  sent.bytes += prefix.length;
  res.on('close', () => {
    sent.closed = true;
    sent.end();
  });
  const pump = () => {
    while (!sent.closed && sent.bytes < total) {
      sent.bytes += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    if (!sent.closed) res.end();
  };
  pump();
}

describe('response body limits', () => {
  it('a success body past the limit (no Content-Length): cut off while streaming, clear error, sent once', async () => {
    const sent = sentCounter();
    // 3 GiB announced by nothing: chunked, as the server in the issue did.
    server = await startServer((_req, res) => endless(res, 200, '{"id":"', 3 * 1024 * MiB, sent));
    const error = await testClient(server.url, fakeTime())
      .getUser('me')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CoderResponseTooLargeError);
    expect((error as Error).message).toBe(
      'the answer to GET /api/v2/users/me (HTTP 200) is larger than 4 MiB, ' +
        'the most the client reads for it; not retried (check that the URL is a Coder deployment)',
    );
    expect(server.requests).toHaveLength(1);
    // The client hung up (the server did not finish its 3 GiB): it wrote little more than the limit plus socket buffers.
    await sent.done;
    expect(sent.bytes).toBeLessThan(MAX_BODY_BYTES + 16 * MiB);
  });

  it('an honest Content-Length past the limit is refused before reading', async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(MAX_BODY_BYTES + 1) });
      res.write('{');
      // Never finishes: only the header can have ended the call.
    });
    const error = await testClient(server.url, fakeTime())
      .buildInfo()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CoderResponseTooLargeError);
    expect(server.requests).toHaveLength(1);
  });

  it('a body just under the limit is read', async () => {
    const name = 'x'.repeat(MAX_BODY_BYTES - 100);
    server = await startServer((_req, res) => sendJson(res, 200, { id: 'u1', username: 'alice', name }));
    expect((await testClient(server.url, fakeTime()).getUser('me')).username).toBe('alice');
  });

  it('a list page may be larger than other answers (32 MiB), and is bounded too', async () => {
    const page = (bytes: number) => JSON.stringify({ workspaces: [{ id: 'w1', name: 'x'.repeat(bytes) }], count: 1 });
    server = await startServer((_req, res, i) =>
      i === 0 ? sendJson(res, 200, JSON.parse(page(6 * MiB))) : endless(res, 200, '{"workspaces":[', 64 * MiB),
    );
    const client = testClient(server.url, fakeTime());
    expect(await client.listWorkspaces()).toHaveLength(1);
    const error = await client.listWorkspaces().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CoderResponseTooLargeError);
    expect((error as Error).message).toContain('larger than 32 MiB');
    expect(server.requests).toHaveLength(2);
  });

  it('a huge error body: read only to its limit, not quoted, and the 5xx retried as usual', async () => {
    const sent = sentCounter();
    server = await startServer((_req, res, i) =>
      i === 0 ? endless(res, 503, '{"message":"', 256 * MiB, sent) : sendJson(res, 200, { id: 'u1', username: 'alice' }),
    );
    const time = fakeTime();
    expect((await testClient(server.url, time).getUser('me')).username).toBe('alice');
    expect(server.requests).toHaveLength(2);
    await sent.done;
    expect(sent.bytes).toBeLessThan(MAX_ERROR_BODY_BYTES + 16 * MiB);
  });

  it('a huge error body that is Coder-shaped in its first bytes still gives a bounded message', async () => {
    server = await startServer((_req, res) => endless(res, 400, `{"message":"${'y'.repeat(100)}`, 8 * MiB));
    const error = await testClient(server.url, fakeTime(), { maxRetries: 0 })
      .getUser('me')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CoderApiError);
    // Cut off at 64 KiB the JSON does not parse, so nothing of it is quoted.
    expect((error as CoderApiError).response.message).toContain('did not answer like a Coder API (HTTP 400)');
  });
});

describe('retry deadline', () => {
  it('stops retrying once the next wait would end past the deadline, whatever retries are left', async () => {
    server = await startServer((_req, res) => sendJson(res, 503, { message: 'Service unavailable.' }));
    const time = fakeTime();
    // Backoff ceilings 200, 400, 800, 1600: 200 + 400 = 600 fits in 1000, + 800 does not.
    const error = await testClient(server.url, time, { maxRetries: 10, retryDeadlineMs: 1000 })
      .getWorkspace('w1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CoderApiError);
    expect((error as CoderApiError).status).toBe(503);
    expect(time.sleeps).toEqual([200, 400]);
    expect(server.requests).toHaveLength(3);
  });

  it('counts a Retry-After wait against the deadline', async () => {
    server = await startServer((_req, res) => sendJson(res, 429, { message: 'rate limited' }, { 'Retry-After': '60' }));
    const time = fakeTime();
    const error = await testClient(server.url, time, { retryDeadlineMs: 90_000 })
      .getWorkspace('w1')
      .catch((e: unknown) => e);
    expect((error as CoderApiError).status).toBe(429);
    // One 60 s wait fits in 90 s; a second would end at 120 s. (The limiter holds the path for the same 60 s.)
    expect(server.requests).toHaveLength(2);
  });

  it('network failures too', async () => {
    server = await startServer((_req, res) => res.socket?.destroy());
    const time = fakeTime();
    const error = await testClient(server.url, time, { retryDeadlineMs: 500 })
      .getWorkspace('w1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CoderNetworkError);
    expect(time.sleeps).toEqual([200]);
    expect(server.requests).toHaveLength(2);
  });
});
