// OwnerTokenBroker against a small scripted Coder that mints, lists and
// deletes tokens, through the real CoderClient.
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { OwnerTokenError } from '../../../src/coder/errors.ts';
import { OWNER_TOKEN_SCOPES, OwnerTokenBroker } from '../../../src/coder/owner-tokens.ts';
import { fakeTime, sendJson, startServer, testClient, TOKEN, type Recorded, type TestServer } from './http-fixture.ts';

const MINUTE = 60_000;
const NS_PER_MS = 1_000_000;
const DAY_NS = 24 * 60 * MINUTE * NS_PER_MS;

interface FakeCoder {
  server: TestServer;
  /** Tokens minted and not deleted, by key id. */
  live: Map<string, { owner: string; key: string }>;
  posts(): Recorded[];
  deletes(): string[];
}

let coder: FakeCoder | undefined;
afterEach(async () => {
  await coder?.server.close();
  coder = undefined;
});

async function startCoder(opts: { maxLifetimeNs?: number; refuse?: { status: number; body: unknown }; deleteStatus?: number } = {}): Promise<FakeCoder> {
  const live = new Map<string, { owner: string; key: string }>();
  let minted = 0;
  const server = await startServer((req, res) => {
    const token = /^\/api\/v2\/users\/([^/]+)\/keys\/tokens(\/tokenconfig)?$/.exec(req.path);
    const key = /^\/api\/v2\/users\/([^/]+)\/keys\/([^/]+)$/.exec(req.path);
    if (token && token[2] && req.method === 'GET') return sendJson(res, 200, { max_token_lifetime: opts.maxLifetimeNs ?? 7 * DAY_NS });
    if (token && req.method === 'POST') {
      if (opts.refuse) return sendJson(res, opts.refuse.status, opts.refuse.body);
      const id = `key${String(minted++).padStart(7, '0')}`;
      const secret = `${id}-secretsecretsecretsecr${minted}`;
      live.set(id, { owner: decodeURIComponent(token[1]!), key: secret });
      return sendJson(res, 201, { key: secret });
    }
    if (key && req.method === 'DELETE') {
      if (opts.deleteStatus) return sendJson(res, opts.deleteStatus, { message: 'nope' });
      return live.delete(key[2]!) ? sendJson(res, 204) : sendJson(res, 404, { message: 'Resource not found or you do not have access to this resource' });
    }
    if (req.path === '/api/v2/workspaces') return sendJson(res, 200, { workspaces: [], count: 0 });
    return sendJson(res, 404, { message: 'Route not found.' });
  });
  return {
    server,
    live,
    posts: () => server.requests.filter((r) => r.method === 'POST'),
    deletes: () => server.requests.filter((r) => r.method === 'DELETE').map((r) => r.path),
  };
}

function broker(c: FakeCoder, extra: Partial<ConstructorParameters<typeof OwnerTokenBroker>[0]> = {}) {
  let now = 5_000_000;
  const b = new OwnerTokenBroker({ admin: testClient(c.server.url, fakeTime(), { maxRetries: 0 }), clock: () => now, ...extra });
  return { b, advance: (ms: number) => (now += ms) };
}

describe('OwnerTokenBroker', () => {
  it('mints one narrowly scoped, short-lived token per owner and acts with it', async () => {
    coder = await startCoder();
    const { b } = broker(coder);
    const asAlice = await b.forOwner('alice');
    await asAlice.listWorkspaces({ q: 'owner:alice' });

    const [post] = coder.posts();
    expect(post?.path).toBe('/api/v2/users/alice/keys/tokens');
    expect(post?.headers['coder-session-token']).toBe(TOKEN); // minted with the admin token
    const body = JSON.parse(post!.body) as { token_name: string; lifetime: number; scopes: string[] };
    expect(body.token_name).toMatch(/^cwo-favorite-[0-9a-f]{8}$/);
    expect(body.lifetime).toBe(10 * MINUTE * NS_PER_MS);
    expect(body.scopes).toEqual(['workspace:read', 'workspace:update', 'workspace_dormant:read', 'workspace_dormant:update']);
    expect(body.scopes).toEqual([...OWNER_TOKEN_SCOPES]);

    const list = coder.server.requests.find((r) => r.path === '/api/v2/workspaces');
    expect(list?.headers['coder-session-token']).toBe(coder.live.get('key0000000')?.key);
  });

  it('reuses the cached token and shares one mint between concurrent callers', async () => {
    coder = await startCoder();
    const { b } = broker(coder);
    const clients = await Promise.all([b.forOwner('alice'), b.forOwner('alice'), b.forOwner('ALICE')]);
    await b.forOwner('alice');
    await b.forOwner('bob');
    expect(new Set(clients).size).toBe(1);
    expect(coder.posts().map((r) => r.path)).toEqual(['/api/v2/users/alice/keys/tokens', '/api/v2/users/bob/keys/tokens']);
    expect(b.liveTokens).toBe(2);
  });

  it('mints again a minute before expiry and deletes the replaced token', async () => {
    coder = await startCoder();
    const { b, advance } = broker(coder);
    const first = await b.forOwner('alice');
    advance(9 * MINUTE - 1);
    expect(await b.forOwner('alice')).toBe(first);
    advance(1);
    const second = await b.forOwner('alice');
    expect(second).not.toBe(first);
    expect(coder.posts()).toHaveLength(2);
    await b.release(); // also waits for the replaced token's deletion
    expect(coder.deletes().sort()).toEqual(['/api/v2/users/alice/keys/key0000000', '/api/v2/users/alice/keys/key0000001']);
  });

  it('clamps the lifetime to the server maximum and refreshes within it', async () => {
    coder = await startCoder({ maxLifetimeNs: 4 * MINUTE * NS_PER_MS });
    const { b, advance } = broker(coder);
    await b.forOwner('alice');
    expect(JSON.parse(coder.posts()[0]!.body).lifetime).toBe(4 * MINUTE * NS_PER_MS);
    advance(3 * MINUTE - 1);
    await b.forOwner('alice');
    expect(coder.posts()).toHaveLength(1);
    advance(1);
    await b.forOwner('alice');
    expect(coder.posts()).toHaveLength(2);
  });

  it('asks tokenconfig about the owner', async () => {
    coder = await startCoder();
    await broker(coder).b.forOwner('bob');
    expect(coder.server.requests[0]?.path).toBe('/api/v2/users/bob/keys/tokens/tokenconfig');
  });

  it('release deletes every minted token, forgets them, and mints afresh afterwards', async () => {
    coder = await startCoder();
    const { b } = broker(coder);
    await Promise.all([b.forOwner('alice'), b.forOwner('bob')]);
    expect(coder.live.size).toBe(2);
    await b.release();
    expect(coder.live.size).toBe(0);
    expect(b.liveTokens).toBe(0);
    expect(coder.deletes()).toHaveLength(2);
    await b.forOwner('alice');
    expect(coder.posts()).toHaveLength(3);
  });

  it('release waits for a mint in flight', async () => {
    coder = await startCoder();
    const { b } = broker(coder);
    const pending = b.forOwner('alice');
    await b.release();
    await pending;
    expect(coder.live.size).toBe(0);
  });

  it('release does not throw when a deletion fails', async () => {
    coder = await startCoder({ deleteStatus: 500 });
    const warnings: object[] = [];
    const { b } = broker(coder, { logger: { warn: (obj) => warnings.push(obj) } });
    await b.forOwner('alice');
    await expect(b.release()).resolves.toBeUndefined();
    expect(b.liveTokens).toBe(0);
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings)).not.toContain('secret');
  });

  it('a refused mint is an OwnerTokenError with Coder\'s message and no token', async () => {
    const refusal = { message: 'Forbidden.', detail: 'You do not have permission to create tokens for other users.' };
    coder = await startCoder({ refuse: { status: 403, body: refusal } });
    const { b } = broker(coder);
    const error = await b.forOwner('alice').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OwnerTokenError);
    expect(error).toMatchObject({ name: 'OwnerTokenError', owner: 'alice', status: 403 });
    expect((error as OwnerTokenError).message).toContain('Forbidden.');
    expect((error as OwnerTokenError).coderMessage).toContain(refusal.detail);
    for (const text of [JSON.stringify(error), inspect(error, { depth: Infinity, showHidden: true }), (error as Error).stack ?? '']) {
      expect(text).not.toContain(TOKEN);
    }
    // Not cached: the next reconcile asks again.
    await b.forOwner('alice').catch(() => undefined);
    expect(coder.posts()).toHaveLength(2);
  });

  it('a network failure while minting is an OwnerTokenError too', async () => {
    const closed = await startServer(() => {});
    await closed.close();
    const b = new OwnerTokenBroker({ admin: testClient(closed.url, fakeTime(), { maxRetries: 0 }) });
    await expect(b.forOwner('alice')).rejects.toMatchObject({ name: 'OwnerTokenError', owner: 'alice', status: undefined });
  });

  it('the connection\'s own user needs no token', async () => {
    coder = await startCoder();
    const admin = testClient(coder.server.url, fakeTime());
    const b = new OwnerTokenBroker({ admin, selfUser: { id: 'AAAA-1111', username: 'Admin' } });
    expect(await b.forOwner('admin')).toBe(admin);
    expect(await b.forOwner('aaaa-1111')).toBe(admin);
    expect(await b.forOwner('me')).toBe(admin);
    expect(coder.server.requests).toHaveLength(0);
  });

  it('rejects a prefix that would make an invalid token name', () => {
    const admin = testClient('http://127.0.0.1:1', fakeTime());
    expect(() => new OwnerTokenBroker({ admin, tokenNamePrefix: 'has space' })).toThrow(RangeError);
    expect(() => new OwnerTokenBroker({ admin, tokenNamePrefix: 'x'.repeat(24) })).toThrow(RangeError);
    expect(() => new OwnerTokenBroker({ admin, lifetimeMs: 10 })).toThrow(RangeError);
  });
});
