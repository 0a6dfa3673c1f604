// The pure pieces under the transport: backoff, Retry-After, route paths.
import { describe, expect, it } from 'vitest';
import { fullJitterDelay, retryAfterMs } from '../../../src/coder/backoff.ts';
import { routePath } from '../../../src/coder/route.ts';
import { fakeTime, sendJson, startServer, testClient } from './http-fixture.ts';

describe('fullJitterDelay', () => {
  it.each([
    [0, 1, 200],
    [1, 1, 400],
    [3, 1, 1600],
    [10, 1, 10_000],
    [3, 0.5, 800],
    [3, 0, 0],
  ])('attempt %i with random %f sleeps %i ms (base 200, max 10 s)', (attempt, r, ms) => {
    expect(fullJitterDelay(attempt, 200, 10_000, () => r)).toBe(ms);
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    [null, undefined],
    ['60', 60_000],
    [' 5 ', 5_000],
    ['0', 0],
    ['3600', 60_000],
    ['soon', undefined],
    ['-1', undefined],
    ['Thu, 01 Jan 2026 00:00:30 GMT', 30_000],
    ['Wed, 31 Dec 2025 23:00:00 GMT', 0],
  ])('%j -> %s', (header, ms) => {
    expect(retryAfterMs(header, now, 60_000)).toBe(ms);
  });
});

describe('routePath', () => {
  it('keeps the template and encodes the path', () => {
    expect(routePath('/api/v2/users/{user}/keys/{keyid}', { user: 'a b', keyid: 'k/1' })).toEqual({
      template: '/api/v2/users/{user}/keys/{keyid}',
      path: '/api/v2/users/a%20b/keys/k%2F1',
    });
  });

  it('refuses a missing parameter', () => {
    expect(() => routePath('/api/v2/users/{user}', {})).toThrow(TypeError);
  });
});

describe('onResponse', () => {
  it('a hook that throws does not fail the call', async () => {
    const server = await startServer((_req, res) => sendJson(res, 200, { version: 'v2' }));
    try {
      const client = testClient(server.url, fakeTime(), {
        onResponse: () => {
          throw new Error('metrics broke');
        },
      });
      await expect(client.buildInfo()).resolves.toEqual({ version: 'v2' });
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});
