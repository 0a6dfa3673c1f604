import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoderSimulator } from '../../../src/coder-sim/index.ts';
import { call, manualClock, startSim } from './helpers.ts';

const SIGNED_OUT = 'You are signed out or your session has expired. Please sign in again to continue.';

describe('coder-sim authentication', () => {
  let sim: CoderSimulator;
  const clock = manualClock();
  beforeAll(async () => {
    sim = await startSim({ clock: clock.fn });
  });
  afterAll(() => sim.close());

  it.each([
    ['Coder-Session-Token header', (t: string) => ({ path: '/api/v2/users/me', headers: { 'Coder-Session-Token': t } })],
    ['Authorization Bearer', (t: string) => ({ path: '/api/v2/users/me', headers: { Authorization: `Bearer ${t}` } })],
    [
      'Authorization bearer (scheme case-insensitive)',
      (t: string) => ({ path: '/api/v2/users/me', headers: { Authorization: `BEARER ${t}` } }),
    ],
    ['cookie', (t: string) => ({ path: '/api/v2/users/me', headers: { Cookie: `other=1; coder_session_token=${t}` } })],
    ['query coder_session_token', (t: string) => ({ path: `/api/v2/users/me?coder_session_token=${t}`, headers: {} })],
    ['query access_token', (t: string) => ({ path: `/api/v2/users/me?access_token=${t}`, headers: {} })],
  ])('accepts the token from the %s', async (_name, build) => {
    const { path, headers } = build(sim.tokenFor('alice'));
    const res = await call(sim, 'GET', path, undefined, headers);
    expect(res.status).toBe(200);
    expect(res.body.username).toBe('alice');
  });

  it('takes the cookie before the header (first source wins)', async () => {
    const res = await call(sim, 'GET', '/api/v2/users/me', undefined, {
      Cookie: `coder_session_token=${sim.tokenFor('bob')}`,
      'Coder-Session-Token': sim.tokenFor('alice'),
    });
    expect(res.body.username).toBe('bob');
  });

  const alice = () => sim.tokenFor('alice');
  it.each([
    ['no token', () => undefined, 'Cookie "coder_session_token" or query parameter must be provided.'],
    ['three parts', () => 'a-b-c', 'Invalid API key format: incorrect amount of API key parts, expected 2 got 3'],
    ['short id', () => 'abc-0123456789012345678901', 'Invalid API key format: invalid API key id length, expected 10 got 3'],
    ['short secret', () => 'abcdefghij-short', 'Invalid API key format: invalid API key secret length, expected 22 got 5'],
    ['unknown id', () => 'ZZZZZZZZZZ-0123456789012345678901', 'API key is invalid.'],
    ['wrong secret', () => `${alice().split('-')[0]}-0123456789012345678901`, 'API key secret is invalid.'],
  ])('answers 401 for %s', async (_name, token, detail) => {
    const t = token();
    const res = await call(sim, 'GET', '/api/v2/users/me', undefined, t ? { 'Coder-Session-Token': t } : {});
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ message: SIGNED_OUT, detail });
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="coder"/);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  it('answers 401 for a suspended user', async () => {
    sim.state.addUser({ username: 'sam' });
    const token = sim.tokenFor('sam');
    sim.state.suspendUser('sam');
    const res = await call(sim, 'GET', '/api/v2/users/me', undefined, { 'Coder-Session-Token': token });
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/^User is not active \(status = "suspended"\)/);
  });

  it('does not need a token for /buildinfo, and sends the build version header everywhere', async () => {
    const res = await call(sim, 'GET', '/api/v2/buildinfo');
    expect(res.status).toBe(200);
    expect(res.body.version).toMatch(/^v\d+\.\d+\.\d+\+[0-9a-f]{7}$/);
    expect(res.headers.get('x-coder-build-version')).toBe(res.body.version);
    const denied = await call(sim, 'GET', '/api/v2/workspaces');
    expect(denied.headers.get('x-coder-build-version')).toBe(res.body.version);
  });

  it('expires a minted token at its lifetime', async () => {
    const minted = await call(
      sim,
      'POST',
      '/api/v2/users/alice/keys/tokens',
      { token_name: 'short', lifetime: 60e9 },
      {
        'Coder-Session-Token': sim.tokenFor('alice'),
      },
    );
    expect(minted.status).toBe(201);
    const ok = await call(sim, 'GET', '/api/v2/users/me', undefined, { 'Coder-Session-Token': minted.body.key });
    expect(ok.body.username).toBe('alice');
    clock.advance(61_000);
    const expired = await call(sim, 'GET', '/api/v2/users/me', undefined, { 'Coder-Session-Token': minted.body.key });
    expect(expired.status).toBe(401);
    expect(expired.body.detail).toMatch(/^API key expired at /);
  });

  it('records the acting user on every call', async () => {
    sim.resetCalls();
    await call(sim, 'GET', '/api/v2/users/me', undefined, { 'Coder-Session-Token': sim.tokenFor('bob') });
    await call(sim, 'GET', '/api/v2/users/me');
    expect(sim.calls.map((c) => [c.route, c.status, c.userId])).toEqual([
      ['/api/v2/users/{user}', 200, sim.state.findUser('bob')!.id],
      ['/api/v2/users/{user}', 401, undefined],
    ]);
  });
});
