// What the client puts on the wire: headers, paths, query and bodies.
import { afterEach, describe, expect, it } from 'vitest';
import type { CoderRequestEvent } from '../../../src/coder/client.ts';
import { fakeTime, sendJson, startServer, testClient, TOKEN, type TestServer } from './http-fixture.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('CoderClient requests', () => {
  it('sends the session token, Accept and User-Agent on every call, Content-Type only with a body', async () => {
    server = await startServer((_req, res) => sendJson(res, 204));
    const client = testClient(server.url, fakeTime(), { userAgent: 'cwo-test/1' });
    await client.setFavorite('w1', true);
    await client.setTtl('w1', 60_000);
    const [bodyless, withBody] = server.requests;
    for (const req of [bodyless, withBody]) {
      expect(req?.headers['coder-session-token']).toBe(TOKEN);
      expect(req?.headers.accept).toBe('application/json');
      expect(req?.headers['user-agent']).toBe('cwo-test/1');
      expect(req?.headers['x-coder-bypass-ratelimit']).toBeUndefined();
      expect(req?.headers.authorization).toBeUndefined();
    }
    expect(bodyless?.headers['content-type']).toBeUndefined();
    expect(bodyless?.body).toBe('');
    expect(withBody?.headers['content-type']).toBe('application/json');
  });

  it('sends X-Coder-Bypass-Ratelimit when asked', async () => {
    server = await startServer((_req, res) => sendJson(res, 200, { version: 'v2' }));
    await testClient(server.url, fakeTime(), { bypassRateLimit: true }).buildInfo();
    expect(server.requests[0]?.headers['x-coder-bypass-ratelimit']).toBe('true');
  });

  it.each([
    ['', '/'],
    ['/', '/'],
    ['/coder', '/coder/'],
    ['/coder/', '/coder/'],
  ])('joins base URL suffix %j with /api/v2 paths', async (suffix, prefix) => {
    server = await startServer((_req, res) => sendJson(res, 200, { version: 'v2' }));
    await testClient(`${server.url}${suffix}`, fakeTime()).buildInfo();
    expect(server.requests[0]?.path).toBe(`${prefix}api/v2/buildinfo`);
  });

  it('percent-encodes every path parameter', async () => {
    server = await startServer((_req, res) => sendJson(res, 200, {}));
    const client = testClient(server.url, fakeTime());
    await client.findWorkspace('a/b', 'c?d#e');
    await client.getTemplateByName('org 1', 'tmpl%');
    expect(server.requests.map((r) => r.path)).toEqual([
      '/api/v2/users/a%2Fb/workspace/c%3Fd%23e',
      '/api/v2/organizations/org%201/templates/tmpl%25',
    ]);
  });

  it('refuses path parameters that would address another route', async () => {
    const client = testClient('http://127.0.0.1:1', fakeTime());
    for (const bad of ['', '.', '..']) await expect(client.getUser(bad)).rejects.toThrow(TypeError);
  });

  it('passes q through verbatim and asks for large pages', async () => {
    server = await startServer((_req, res) => sendJson(res, 200, { workspaces: [], count: 0 }));
    await testClient(server.url, fakeTime()).listWorkspaces({ q: 'owner:Alice template:"My T" status:running' });
    const query = server.requests[0]?.query;
    expect(query?.get('q')).toBe('owner:Alice template:"My T" status:running');
    expect(query?.get('limit')).toBe('2000');
    expect(query?.get('offset')).toBe('0');
  });

  it.each([
    [
      'setAutostart on',
      (c: ReturnType<typeof testClient>) => c.setAutostart('w1', 'CRON_TZ=Europe/Berlin 30 9 * * 1-5'),
      'PUT',
      '/api/v2/workspaces/w1/autostart',
      { schedule: 'CRON_TZ=Europe/Berlin 30 9 * * 1-5' },
    ],
    [
      'setAutostart off',
      (c: ReturnType<typeof testClient>) => c.setAutostart('w1', null),
      'PUT',
      '/api/v2/workspaces/w1/autostart',
      { schedule: '' },
    ],
    [
      'setTtl on',
      (c: ReturnType<typeof testClient>) => c.setTtl('w1', 3_600_000),
      'PUT',
      '/api/v2/workspaces/w1/ttl',
      { ttl_ms: 3_600_000 },
    ],
    ['setTtl off', (c: ReturnType<typeof testClient>) => c.setTtl('w1', null), 'PUT', '/api/v2/workspaces/w1/ttl', { ttl_ms: 0 }],
    [
      'rename',
      (c: ReturnType<typeof testClient>) => c.renameWorkspace('w1', 'new-name'),
      'PATCH',
      '/api/v2/workspaces/w1',
      { name: 'new-name' },
    ],
    [
      'autoupdates',
      (c: ReturnType<typeof testClient>) => c.setAutomaticUpdates('w1', 'always'),
      'PUT',
      '/api/v2/workspaces/w1/autoupdates',
      { automatic_updates: 'always' },
    ],
    ['favorite', (c: ReturnType<typeof testClient>) => c.setFavorite('w1', true), 'PUT', '/api/v2/workspaces/w1/favorite', undefined],
    ['unfavorite', (c: ReturnType<typeof testClient>) => c.setFavorite('w1', false), 'DELETE', '/api/v2/workspaces/w1/favorite', undefined],
    [
      'delete token',
      (c: ReturnType<typeof testClient>) => c.deleteToken('alice', 'abcdef1234'),
      'DELETE',
      '/api/v2/users/alice/keys/abcdef1234',
      undefined,
    ],
    ['dormant', (c: ReturnType<typeof testClient>) => c.setDormant('w1', true), 'PUT', '/api/v2/workspaces/w1/dormant', { dormant: true }],
  ] as const)('%s: %s %s', async (_name, call, method, path, body) => {
    server = await startServer((_req, res) => sendJson(res, 204));
    await call(testClient(server.url, fakeTime()));
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.method).toBe(method);
    expect(server.requests[0]?.path).toBe(path);
    expect(server.requests[0]?.body === '' ? undefined : JSON.parse(server.requests[0]!.body)).toEqual(body);
  });

  it('asks for a deleted workspace only when told to', async () => {
    server = await startServer((_req, res) => sendJson(res, 200, { id: 'w1' }));
    const client = testClient(server.url, fakeTime());
    await client.getWorkspace('w1');
    await client.getWorkspace('w1', { includeDeleted: true });
    expect(server.requests.map((r) => r.query.get('include_deleted'))).toEqual([null, 'true']);
  });

  it('posts creates with their JSON body and returns the answer', async () => {
    server = await startServer((req, res) =>
      sendJson(res, 201, req.path.endsWith('/builds') ? { id: 'b1', transition: 'stop' } : { id: 'w1', name: 'dev' }),
    );
    const client = testClient(server.url, fakeTime());
    const ws = await client.createWorkspace('alice', { name: 'dev', template_id: 't1', ttl_ms: 3_600_000 });
    const build = await client.createBuild('w1', { transition: 'stop' });
    expect(ws).toEqual({ id: 'w1', name: 'dev' });
    expect(build).toEqual({ id: 'b1', transition: 'stop' });
    expect(server.requests.map((r) => [r.method, r.path, JSON.parse(r.body)])).toEqual([
      ['POST', '/api/v2/users/alice/workspaces', { name: 'dev', template_id: 't1', ttl_ms: 3_600_000 }],
      ['POST', '/api/v2/workspaces/w1/builds', { transition: 'stop' }],
    ]);
  });

  it('reports each attempt to onResponse with the route template, never ids', async () => {
    server = await startServer((_req, res, i) => sendJson(res, i === 0 ? 503 : 204, i === 0 ? { message: 'busy' } : undefined));
    const events: CoderRequestEvent[] = [];
    await testClient(server.url, fakeTime(), { onResponse: (e) => events.push(e) }).setTtl('6c1f9e2a-id', 60_000);
    expect(events.map(({ durationMs: _d, ...rest }) => rest)).toEqual([
      { method: 'PUT', route: '/api/v2/workspaces/{workspace}/ttl', status: 503, attempt: 0 },
      { method: 'PUT', route: '/api/v2/workspaces/{workspace}/ttl', status: 204, attempt: 1 },
    ]);
    for (const e of events) expect(e.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('withToken acts as another identity with the same settings and limiter', async () => {
    server = await startServer((_req, res) => sendJson(res, 200, { version: 'v2' }));
    const events: CoderRequestEvent[] = [];
    const admin = testClient(server.url, fakeTime(), { onResponse: (e) => events.push(e), userAgent: 'ua' });
    const other = admin.withToken('zzzzzzzzzz-othertokenothertoken12');
    await other.buildInfo();
    await admin.buildInfo();
    expect(server.requests.map((r) => r.headers['coder-session-token'])).toEqual(['zzzzzzzzzz-othertokenothertoken12', TOKEN]);
    expect(server.requests[0]?.headers['user-agent']).toBe('ua');
    expect(other.rateLimiter).toBe(admin.rateLimiter);
    expect(events).toHaveLength(2);
  });

  it('rejects bad options before any request', () => {
    expect(() => testClient('ftp://x', fakeTime())).toThrow(TypeError);
    expect(() => testClient('http://x', fakeTime(), { token: ' ' })).toThrow(/token is empty/);
    expect(() => testClient('http://x', fakeTime(), { listPageSize: 0 })).toThrow(RangeError);
    expect(() => testClient('http://x', fakeTime(), { requestsPerMinute: 0 })).toThrow(RangeError);
  });
});
