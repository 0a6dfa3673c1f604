// The session token goes into the Coder-Session-Token header and nowhere
// else: not into errors (however they are serialised), not into logs.
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeTime, sendJson, startServer, testClient, TOKEN, type Handler, type TestServer } from './http-fixture.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Every way an error or object might be written out. */
function renderings(value: unknown): string[] {
  const out = [inspect(value, { depth: Infinity, showHidden: true, getters: true }), inspect(value, { depth: Infinity }), String(value)];
  try {
    out.push(JSON.stringify(value));
  } catch {
    // circular: inspect above covers it
  }
  if (value instanceof Error) out.push(value.stack ?? '', JSON.stringify(value, Object.getOwnPropertyNames(value)));
  return out;
}

function captureLogger(): { logger: pino.Logger; text(): string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), text: () => lines.join('') };
}

const SCENARIOS: Record<string, { handler: Handler; timeoutMs?: number }> = {
  '401 that echoes the token': {
    handler: (req, res) =>
      sendJson(res, 401, {
        message: 'You are signed out or your session has expired. Please sign in again to continue.',
        detail: `API key secret is invalid: ${String(req.headers['coder-session-token'])}`,
      }),
  },
  'plain-text 428 that echoes the token': {
    handler: (req, res) =>
      res.writeHead(428, { 'Content-Type': 'text/plain' }).end(`bad token ${String(req.headers['coder-session-token'])}`),
  },
  '503 until retries run out': { handler: (_req, res) => sendJson(res, 503, { message: 'down' }) },
  '429 with Retry-After': { handler: (_req, res) => sendJson(res, 429, { message: 'slow' }, { 'Retry-After': '1' }) },
  'dropped connection': { handler: (_req, res) => res.socket?.destroy() },
  timeout: { handler: () => {}, timeoutMs: 100 },
};

describe('the token stays secret', () => {
  for (const [name, { handler, timeoutMs }] of Object.entries(SCENARIOS)) {
    it(`${name}: not in the thrown error nor in the logs`, async () => {
      server = await startServer(handler);
      const log = captureLogger();
      const client = testClient(server.url, fakeTime(), { logger: log.logger, maxRetries: 1, ...(timeoutMs ? { timeoutMs } : {}) });
      const error = await client.getWorkspace('w1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      for (const text of renderings(error)) expect(text).not.toContain(TOKEN);
      expect(log.text()).not.toBe(''); // it did log
      expect(log.text()).not.toContain(TOKEN);
      expect(server.requests.every((r) => r.headers['coder-session-token'] === TOKEN)).toBe(true);
    });
  }

  it('the echoed token is replaced, the rest of the message kept', async () => {
    server = await startServer(SCENARIOS['401 that echoes the token']!.handler);
    const error = await testClient(server.url, fakeTime())
      .getUser('me')
      .catch((e: unknown) => e);
    expect((error as Error).message).toContain('API key secret is invalid: [REDACTED]');
  });

  it('a successful call logs no token either', async () => {
    server = await startServer((_req, res) => sendJson(res, 200, { version: 'v2' }));
    const log = captureLogger();
    await testClient(server.url, fakeTime(), { logger: log.logger }).buildInfo();
    expect(log.text()).toContain('/api/v2/buildinfo');
    expect(log.text()).not.toContain(TOKEN);
  });

  it('the client object does not show its token', () => {
    const client = testClient('http://127.0.0.1:1', fakeTime());
    for (const text of renderings(client)) expect(text).not.toContain(TOKEN);
    for (const text of renderings(client.withToken('qqqqqqqqqq-anothertokenanother22'))) expect(text).not.toContain('anothertoken');
  });
});
