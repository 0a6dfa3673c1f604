// Which calls are retried, on what, and how long the client waits. Waits are
// read from the injected sleep (random() = 1, so backoff is its ceiling).
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoderClient } from '../../../src/coder/client.ts';
import { CoderApiError, CoderNetworkError } from '../../../src/coder/errors.ts';
import { fakeTime, sendJson, startServer, testClient, type Recorded, type TestServer } from './http-fixture.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

type Call = (c: CoderClient) => Promise<unknown>;
const CALLS: Record<string, { call: Call; idempotent: boolean }> = {
  'GET getWorkspace': { call: (c) => c.getWorkspace('w1'), idempotent: true },
  'GET listWorkspaces': { call: (c) => c.listWorkspaces(), idempotent: true },
  'PUT setTtl': { call: (c) => c.setTtl('w1', 60_000), idempotent: true },
  'DELETE setFavorite(false)': { call: (c) => c.setFavorite('w1', false), idempotent: true },
  'DELETE deleteToken': { call: (c) => c.deleteToken('alice', 'abcdef1234'), idempotent: true },
  'PATCH renameWorkspace': { call: (c) => c.renameWorkspace('w1', 'x'), idempotent: true },
  'POST createWorkspace': { call: (c) => c.createWorkspace('alice', { name: 'x', template_id: 't' }), idempotent: false },
  'POST createBuild': { call: (c) => c.createBuild('w1', { transition: 'start' }), idempotent: false },
  'POST createToken': { call: (c) => c.createToken('alice', { token_name: 'n', lifetime: 1 }), idempotent: false },
};

function successFor(req: Recorded, res: ServerResponse): void {
  if (req.method === 'GET' && req.path === '/api/v2/workspaces') sendJson(res, 200, { workspaces: [], count: 0 });
  else if (req.method === 'GET' || req.method === 'POST') sendJson(res, req.method === 'POST' ? 201 : 200, { id: 'x' });
  else sendJson(res, 204);
}

/** Fails the first `failures` requests with `fail`, then succeeds. */
function failThenSucceed(failures: number, fail: (res: ServerResponse) => void) {
  return (req: Recorded, res: ServerResponse, i: number) => (i < failures ? fail(res) : successFor(req, res));
}

const FAILURES: Record<string, (res: ServerResponse) => void> = {
  '503': (res) => sendJson(res, 503, { message: 'Service unavailable.' }),
  '500': (res) => sendJson(res, 500, { message: 'Internal error.' }),
  '502 html': (res) => res.writeHead(502, { 'Content-Type': 'text/html' }).end('<html>bad gateway</html>'),
  '429 no Retry-After': (res) => sendJson(res, 429, { message: 'rate limited' }),
  'dropped connection': (res) => res.socket?.destroy(),
};

describe('retries', () => {
  for (const [callName, { call, idempotent }] of Object.entries(CALLS)) {
    for (const [failName, fail] of Object.entries(FAILURES)) {
      // A 429 means Coder's middleware refused the call before any handler ran: safe to resend, even a create.
      const resent = idempotent || failName.startsWith('429');
      it(`${callName} after ${failName}: ${resent ? 'retried once, then succeeds' : 'sent exactly once'}`, async () => {
        server = await startServer(failThenSucceed(1, fail));
        const time = fakeTime();
        const outcome = call(testClient(server.url, time));
        if (resent) {
          await outcome;
          expect(server.requests).toHaveLength(2);
          expect(time.sleeps).toEqual([200]);
        } else {
          await expect(outcome).rejects.toBeInstanceOf(failName === 'dropped connection' ? CoderNetworkError : CoderApiError);
          expect(server.requests).toHaveLength(1);
          expect(time.sleeps).toEqual([]);
        }
      });
    }
  }

  it('gives up after maxRetries with full-jitter exponential backoff capped at retryMaxMs', async () => {
    server = await startServer((_req, res) => sendJson(res, 503, { message: 'down' }));
    const time = fakeTime();
    const error = await testClient(server.url, time, { retryMaxMs: 1000 })
      .getUser('me')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CoderApiError);
    expect((error as CoderApiError).status).toBe(503);
    expect(server.requests).toHaveLength(5);
    expect(time.sleeps).toEqual([200, 400, 800, 1000]);
  });

  it('draws the jitter from random()', async () => {
    server = await startServer(failThenSucceed(2, FAILURES['503']!));
    const time = fakeTime();
    await testClient(server.url, time, { random: () => 0.25 }).getUser('me');
    expect(time.sleeps).toEqual([50, 100]);
  });

  it.each([400, 401, 403, 404, 409, 410, 501])('does not retry %i', async (status) => {
    server = await startServer((_req, res) => sendJson(res, status, { message: `status ${status}` }));
    const time = fakeTime();
    await expect(testClient(server.url, time).getWorkspace('w1')).rejects.toMatchObject({ status });
    expect(server.requests).toHaveLength(1);
    expect(time.sleeps).toEqual([]);
  });

  it('maxRetries 0 sends once', async () => {
    server = await startServer((_req, res) => sendJson(res, 503, { message: 'down' }));
    await expect(testClient(server.url, fakeTime(), { maxRetries: 0 }).getUser('me')).rejects.toMatchObject({ status: 503 });
    expect(server.requests).toHaveLength(1);
  });
});

describe('429', () => {
  it('honours Retry-After (seconds) and counts it as a retry', async () => {
    server = await startServer(failThenSucceed(1, (res) => sendJson(res, 429, { message: 'slow down' }, { 'Retry-After': '7' })));
    const time = fakeTime();
    await testClient(server.url, time).getWorkspace('w1');
    expect(server.requests).toHaveLength(2);
    expect(time.sleeps).toEqual([7000]);
  });

  it('caps a huge Retry-After', async () => {
    server = await startServer(failThenSucceed(1, (res) => sendJson(res, 429, { message: 'slow down' }, { 'Retry-After': '86400' })));
    const time = fakeTime();
    await testClient(server.url, time).getWorkspace('w1');
    expect(time.sleeps).toEqual([60_000]);
  });

  it('throws CoderApiError 429 with retryAfterSeconds once retries are exhausted', async () => {
    const message = "You've been rate limited for sending more than 512 requests in 1m0s.";
    server = await startServer((_req, res) => sendJson(res, 429, { message }, { 'Retry-After': '60' }));
    const time = fakeTime();
    const error = await testClient(server.url, time, { maxRetries: 2 })
      .listWorkspaces()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CoderApiError);
    expect(error).toMatchObject({ status: 429, retryAfterSeconds: 60, response: { message } });
    expect(server.requests).toHaveLength(3);
    expect(time.sleeps).toEqual([60_000, 60_000]);
  });

  it('a 429 to a create is sent again after Retry-After, and says when to come back once retries are spent', async () => {
    server = await startServer((_req, res) => sendJson(res, 429, { message: 'slow down' }, { 'Retry-After': '60' }));
    const time = fakeTime();
    const error = await testClient(server.url, time, { maxRetries: 2 })
      .createWorkspace('alice', { name: 'x', template_id: 't' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 429, retryAfterSeconds: 60 });
    expect(server.requests).toHaveLength(3);
    expect(time.sleeps).toEqual([60_000, 60_000]);
  });

  it('a Retry-After holds the whole path: the next request on it waits, even one that was not refused', async () => {
    server = await startServer((req, res, i) =>
      i === 0 ? sendJson(res, 429, { message: 'slow down' }, { 'Retry-After': '3' }) : sendJson(res, 201, { id: req.path }),
    );
    const time = fakeTime();
    // No retries: the refused create comes back at once, and the hold is all that delays the next one.
    const client = testClient(server.url, time, { maxRetries: 0 });
    await expect(client.createWorkspace('alice', { name: 'x', template_id: 't' })).rejects.toMatchObject({ status: 429 });
    expect(time.sleeps).toEqual([]);
    await client.createWorkspace('alice', { name: 'y', template_id: 't' });
    expect(time.sleeps).toEqual([3000]);
    expect(server.requests).toHaveLength(2);
  });

  it('holds the next request on a path whose window is spent until X-RateLimit-Reset', async () => {
    const time = fakeTime(1_000_000);
    server = await startServer((req, res, i) =>
      sendJson(res, 200, { id: req.path }, i === 0 ? { 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(1_000 + 5) } : {}),
    );
    const client = testClient(server.url, time);
    await client.getWorkspace('w1'); // answer says: nothing left until t = 1005 s
    await client.getWorkspace('w2'); // another path: not held
    expect(time.sleeps).toEqual([]);
    await client.getWorkspace('w1');
    expect(time.sleeps).toEqual([5000]);
    expect(server.requests).toHaveLength(3);
  });

  it('ignores a reset in the past and caps one far in the future', async () => {
    const time = fakeTime(1_000_000);
    const resets = ['999', String(1_000 + 7200)];
    server = await startServer((_req, res, i) =>
      sendJson(res, 200, { id: 'w' }, i < 2 ? { 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': resets[i]! } : {}),
    );
    const client = testClient(server.url, time);
    await client.getWorkspace('w1');
    await client.getWorkspace('w1');
    expect(time.sleeps).toEqual([]);
    await client.getWorkspace('w1');
    expect(time.sleeps).toEqual([60_000]);
  });
});

describe('timeouts and lost connections', () => {
  it('a GET that times out every time ends in CoderNetworkError with timedOut', async () => {
    server = await startServer(() => {}); // never answers
    const time = fakeTime();
    const error = await testClient(server.url, time, { timeoutMs: 100, maxRetries: 1 })
      .getWorkspace('w1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CoderNetworkError);
    expect(error).toMatchObject({ timedOut: true, method: 'GET', path: '/api/v2/workspaces/w1' });
    expect(server.requests).toHaveLength(2);
    expect(time.sleeps).toEqual([200]);
  });

  it('a create that times out is sent once and reports timedOut', async () => {
    server = await startServer(() => {});
    const error = await testClient(server.url, fakeTime(), { timeoutMs: 100 })
      .createWorkspace('alice', { name: 'x', template_id: 't' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'CoderNetworkError', timedOut: true, method: 'POST' });
    expect(server.requests).toHaveLength(1);
  });

  it('a timeout while the body arrives counts too', async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"id":'); // and never the rest
    });
    const error = await testClient(server.url, fakeTime(), { timeoutMs: 100, maxRetries: 0 })
      .getWorkspace('w1')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'CoderNetworkError', timedOut: true });
  });

  it('a dropped connection is a CoderNetworkError without timedOut', async () => {
    server = await startServer((_req, res) => res.socket?.destroy());
    const error = await testClient(server.url, fakeTime(), { maxRetries: 2 })
      .getWorkspace('w1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CoderNetworkError);
    expect(error).toMatchObject({ timedOut: false });
    expect(server.requests).toHaveLength(3);
  });

  it('a refused connection is a CoderNetworkError', async () => {
    const closed = await startServer(() => {});
    await closed.close();
    const error = await testClient(closed.url, fakeTime(), { maxRetries: 0 })
      .buildInfo()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'CoderNetworkError', timedOut: false });
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
  });
});
