import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoderClient } from '../../../src/coder/client.ts';
import type { CoderSimulator } from '../../../src/coder-sim/index.ts';
import { apiAs, call, idOf, startSim, type Api } from './helpers.ts';

const MINUTE_NS = 60e9;
const WEEK_NS = 168 * 3600e9;

describe('coder-sim API tokens', () => {
  let sim: CoderSimulator;
  let admin: Api;
  let alice: Api;
  let bob: Api;
  beforeAll(async () => {
    sim = await startSim();
    admin = apiAs(sim, 'admin');
    alice = apiAs(sim, 'alice');
    bob = apiAs(sim, 'bob');
  });
  afterAll(() => sim.close());

  it('lists no tokens as null, as coderd does, and the client reads that as none', async () => {
    const res = await admin('GET', '/api/v2/users/bob/keys/tokens');
    expect(res.status).toBe(200);
    expect(res.body).toBeNull();
    const client = new CoderClient({ url: sim.url, token: sim.tokenFor('admin') });
    expect(await client.listTokens('bob')).toEqual([]);
  });

  it('reports the max lifetime: 7 days for a site Owner', async () => {
    const res = await admin('GET', '/api/v2/users/alice/keys/tokens/tokenconfig');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ max_token_lifetime: WEEK_NS });
  });

  it('lets an Owner mint a token for a member that acts as the member and can favorite', async () => {
    const minted = await admin('POST', '/api/v2/users/alice/keys/tokens', {
      token_name: 'operator-favorites',
      lifetime: 10 * MINUTE_NS,
      scopes: ['workspace:read', 'workspace:update'],
    });
    expect(minted.status).toBe(201);
    expect(minted.body.key).toMatch(/^[A-Za-z0-9]{10}-[A-Za-z0-9]{22}$/);
    const asAlice = (m: string, p: string) => call(sim, m, p, undefined, { 'Coder-Session-Token': minted.body.key });
    expect((await asAlice('GET', '/api/v2/users/me')).body.username).toBe('alice');
    const ws = await alice('POST', '/api/v2/users/alice/workspaces', { name: 'fav', template_id: idOf(sim, 'template', 'docker') });
    expect((await asAlice('PUT', `/api/v2/workspaces/${ws.body.id}/favorite`)).status).toBe(204);

    const list = await admin('GET', '/api/v2/users/alice/keys/tokens');
    const key = list.body.find((k: { token_name: string }) => k.token_name === 'operator-favorites');
    expect(key).toMatchObject({ scopes: ['workspace:read', 'workspace:update'], lifetime_seconds: 600, login_type: 'token' });
    expect(minted.body.key.startsWith(key.id)).toBe(true);
    expect((await admin('GET', `/api/v2/users/alice/keys/${key.id}`)).body.id).toBe(key.id);

    expect((await admin('DELETE', `/api/v2/users/alice/keys/${key.id}`)).status).toBe(204);
    const after = await asAlice('GET', '/api/v2/users/me');
    expect(after.status).toBe(401);
    expect(after.body.detail).toBe('API key is invalid.');
    expect((await admin('DELETE', `/api/v2/users/alice/keys/${key.id}`)).status).toBe(404);
  });

  it('refuses a lifetime over the maximum or not positive', async () => {
    const long = await admin('POST', '/api/v2/users/alice/keys/tokens', { token_name: 'long', lifetime: WEEK_NS + 1e9 });
    expect(long.status).toBe(400);
    expect(long.body).toEqual({ message: 'Failed to validate create API key request.', detail: 'lifetime must be less than 168h0m0s' });
    const negative = await admin('POST', '/api/v2/users/alice/keys/tokens', { token_name: 'neg', lifetime: -1 });
    expect(negative.body.detail).toBe('lifetime must be positive number greater than 0');
  });

  it('answers 409 for a duplicate token name of the same user', async () => {
    expect((await alice('POST', '/api/v2/users/me/keys/tokens', { token_name: 'dup', lifetime: MINUTE_NS })).status).toBe(201);
    const dup = await alice('POST', '/api/v2/users/me/keys/tokens', { token_name: 'dup', lifetime: MINUTE_NS });
    expect(dup.status).toBe(409);
    expect(dup.body).toEqual({
      message: 'A token with name "dup" already exists.',
      validations: [{ field: 'name', detail: 'This value is already in use and should be unique.' }],
    });
    expect((await bob('POST', '/api/v2/users/me/keys/tokens', { token_name: 'dup', lifetime: MINUTE_NS })).status).toBe(201);
  });

  it('does not let a member mint or list tokens for someone else', async () => {
    expect((await bob('POST', '/api/v2/users/alice/keys/tokens', { token_name: 'steal', lifetime: MINUTE_NS })).status).toBe(403);
    expect((await bob('GET', '/api/v2/users/alice/keys/tokens')).status).toBe(403);
  });
});
