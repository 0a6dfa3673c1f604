// The circuit breaker behind issue 18 item 6: a request that times out opens
// it (no retry, nothing else sent), the cool-down admits exactly one trial
// request, and any HTTP answer closes it again.
import { afterEach, describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../../src/coder/circuit-breaker.ts';
import { CoderCircuitOpenError, CoderNetworkError } from '../../../src/coder/errors.ts';
import { sendJson, startServer, testClient, fakeTime, type TestServer } from './http-fixture.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('CircuitBreaker', () => {
  it('closed -> open on a timeout -> half-open after the cool-down, one trial -> closed on an answer', () => {
    let t = 0;
    const b = new CircuitBreaker({ cooldownMs: 1000, now: () => t });
    expect([b.state, b.admit(), b.admit()]).toEqual(['closed', true, true]);
    b.timedOut();
    expect([b.state, b.admit(), b.remainingMs()]).toEqual(['open', false, 1000]);
    t = 1000;
    expect([b.state, b.admit(), b.admit()]).toEqual(['half-open', true, false]);
    b.answered();
    expect([b.state, b.admit()]).toEqual(['closed', true]);
  });

  it('a trial that fails fast or times out opens it again for a whole cool-down', () => {
    let t = 0;
    const b = new CircuitBreaker({ cooldownMs: 1000, now: () => t });
    b.timedOut();
    t = 1500;
    expect(b.admit()).toBe(true);
    b.failedFast();
    expect([b.state, b.remainingMs()]).toEqual(['open', 1000]);
    t = 2500;
    expect(b.admit()).toBe(true);
    b.timedOut();
    expect(b.state).toBe('open');
  });

  it('a fast failure while closed changes nothing (only a slow server opens it)', () => {
    const b = new CircuitBreaker({ cooldownMs: 1000, now: () => 0 });
    b.failedFast();
    expect(b.state).toBe('closed');
  });
});

describe('the client with a breaker', () => {
  it('a hanging server: one request, not retried; the next call is not sent; an answer after the cool-down closes it', async () => {
    let hang = true;
    server = await startServer((_req, res) => (hang ? undefined : sendJson(res, 200, { version: 'v2.27.0' })));
    let t = 0;
    const breaker = new CircuitBreaker({ cooldownMs: 60_000, now: () => t });
    const client = testClient(server.url, fakeTime(), { timeoutMs: 200, circuitBreaker: breaker });
    const first = await client.buildInfo().catch((e: unknown) => e);
    expect(first).toBeInstanceOf(CoderNetworkError);
    expect((first as CoderNetworkError).timedOut).toBe(true);
    expect(server.requests).toHaveLength(1); // maxRetries is 4: none was sent

    const second = await client
      .withToken('other-token-0123456789')
      .getUser('me')
      .catch((e: unknown) => e);
    expect(second).toBeInstanceOf(CoderCircuitOpenError);
    expect((second as Error).message).toBe(
      'No answer from Coder to GET /api/v2/users/me: not sent: the server let a request time out, so no request goes to it for 60s more',
    );
    expect(server.requests).toHaveLength(1);

    hang = false;
    t = 60_000;
    expect(await client.buildInfo()).toEqual({ version: 'v2.27.0' });
    expect(breaker.state).toBe('closed');
  });

  it('without a breaker (the CLI) a timed-out read is still retried', async () => {
    server = await startServer(() => undefined);
    await testClient(server.url, fakeTime(), { timeoutMs: 100, maxRetries: 2 })
      .buildInfo()
      .catch(() => undefined);
    expect(server.requests).toHaveLength(3);
  });
});
