// The per-connection runtime: one check and one list when first used,
// concurrent refreshes share one list, a refused token makes no further
// Coder calls, and a resync re-reads the Secret (a rotated token rebuilds).
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CoderApiError } from '../../../src/coder/errors.ts';
import { ConnectionRegistry, type ConnectionRef } from '../../../src/controller/connection/registry.ts';
import { ALLOWED_URLS_ANNOTATION, SECRET_TYPE_LABEL } from '../../../src/controller/connection/token-secret.ts';
import { CoderClient } from '../../../src/coder/client.ts';
import { scrub } from '../../../src/observability/logger.ts';
import { startServer } from '../coder/http-fixture.ts';
import { coderWorkspace, FakeCoder } from '../engine/fake-coder.ts';

const ref: ConnectionRef = {
  id: 'CoderConnection/a/default',
  kind: 'CoderConnection',
  name: 'default',
  secretNamespace: 'a',
  spec: { url: 'https://coder.example.com', tokenSecretRef: { name: 's', key: 'token' } },
};

function setup() {
  const coder = new FakeCoder();
  coder.listed = [coderWorkspace()];
  let token = 'first-token-0123456789';
  let labels: Record<string, string> = { [SECRET_TYPE_LABEL]: 'coder-token' };
  const tokens: string[] = [];
  const secretReads: string[] = [];
  const registry = new ConnectionRegistry({
    readSecret: async (ns, name, key) => (
      secretReads.push(`${ns}/${name}/${key}`),
      { value: token, labels, annotations: { [ALLOWED_URLS_ANNOTATION]: 'https://coder.example.com' } }
    ),
    makeApi: (o) => (tokens.push(o.token), coder),
    logger: pino({ level: 'silent' }),
  });
  return { coder, registry, tokens, secretReads, rotate: (t: string) => (token = t), label: (l: Record<string, string>) => (labels = l) };
}

const count = (coder: FakeCoder, method: string) => coder.calls.filter((c) => c.method === method).length;

describe('ConnectionRegistry', () => {
  it('first use: one Secret read, buildinfo + users/me, one list; later uses reuse it', async () => {
    const t = setup();
    const [a, b] = await Promise.all([t.registry.runtime(ref), t.registry.runtime(ref)]);
    expect(a).toBe(b);
    expect(a.state).toEqual({ ready: true, version: 'v2.36.1', me: { id: 'u', username: 'me' }, renamesAllowed: true });
    expect(t.coder.calls.map((c) => c.method)).toEqual(['buildInfo', 'getUser', 'listWorkspaces']);
    expect(t.secretReads).toEqual(['a/s/token']);
    expect(a.snapshot.size).toBe(1);
    expect(t.registry.checked(ref.id)).toBe(true);
    // The token is registered for scrubbing the moment it is read.
    expect(scrub('Bearer first-token-0123456789')).toBe('Bearer [REDACTED]');
  });

  it('concurrent refreshes share one list', async () => {
    const t = setup();
    const rt = await t.registry.runtime(ref);
    await Promise.all([rt.refresh(), rt.refresh(), rt.refresh()]);
    expect(count(t.coder, 'listWorkspaces')).toBe(2);
  });

  it('a refused token: not ready, and no further Coder calls until resync', async () => {
    const t = setup();
    t.coder.failures.getUser = new CoderApiError({ status: 401, method: 'GET', path: '/api/v2/users/me', response: { message: 'no' } });
    const rt = await t.registry.runtime(ref);
    expect(rt.state).toMatchObject({ ready: false, reason: 'Unauthorized' });
    const calls = t.coder.calls.length;
    await t.registry.runtime(ref);
    expect(t.coder.calls.length).toBe(calls);
    // The resync re-reads the Secret and checks again.
    delete t.coder.failures.getUser;
    const [again] = await t.registry.resync([ref]);
    expect(again!.state.ready).toBe(true);
  });

  it('resync: one list per connection; a rotated token rebuilds the client', async () => {
    const t = setup();
    await t.registry.runtime(ref);
    await t.registry.resync([ref]);
    expect(count(t.coder, 'listWorkspaces')).toBe(2);
    expect(t.tokens).toEqual(['first-token-0123456789']);
    t.rotate('second-token-0123456789');
    await t.registry.resync([ref]);
    expect(t.tokens).toEqual(['first-token-0123456789', 'second-token-0123456789']);
  });

  it('a missing Secret: not ready with a message naming it, no Coder call', async () => {
    const coder = new FakeCoder();
    const registry = new ConnectionRegistry({
      readSecret: async () => {
        throw new Error('Secret a/s not found');
      },
      makeApi: () => coder,
      logger: pino({ level: 'silent' }),
    });
    const rt = await registry.runtime(ref);
    expect(rt.state).toMatchObject({ ready: false, reason: 'SecretNotFound' });
    expect(rt.state.ready ? '' : rt.state.message).toContain('Secret a/s');
    expect(coder.calls).toEqual([]);
  });

  it.each([
    ['no labels', {}],
    ['another secret-type', { [SECRET_TYPE_LABEL]: 'repository' }],
  ])('a Secret without the opt-in label (%s): not ready, says how to label it, its value is never sent', async (_name, labels) => {
    const t = setup();
    t.label(labels);
    t.rotate('unlabelled-value-0123456789');
    const rt = await t.registry.runtime(ref);
    expect(rt.state).toEqual({
      ready: false,
      reason: 'SecretNotLabelled',
      message:
        'Secret a/s is not labelled coderops.dev/secret-type=coder-token, so the operator will not use it as a Coder token; ' +
        'if it holds one, label it: kubectl label secret -n a s coderops.dev/secret-type=coder-token',
    });
    expect(t.tokens).toEqual([]);
    expect(t.coder.calls).toEqual([]);
    expect(rt.state.ready ? '' : rt.state.message).not.toContain('unlabelled-value');
    // Labelled later: the resync reads it again and the connection becomes ready.
    t.label({ [SECRET_TYPE_LABEL]: 'coder-token' });
    const [again] = await t.registry.resync([ref]);
    expect(again!.state.ready).toBe(true);
    expect(t.tokens).toEqual(['unlabelled-value-0123456789']);
  });

  it.each([
    ['buildinfo without a version', { buildInfo: { external_url: 'x' } }, 'GET /api/v2/buildinfo'],
    ['a version that is not a version', { buildInfo: { version: `<b>${'x'.repeat(300)}</b>` } }, 'GET /api/v2/buildinfo'],
    ['users/me that is not a user', { me: { ok: true } }, 'GET /api/v2/users/me'],
  ])('a server that answers 200 but not like Coder (%s): NotCoder, nothing of its answer in the message', async (_name, answers, what) => {
    const t = setup();
    const fake = t.coder as unknown as { buildInfo: () => Promise<unknown>; getUser: () => Promise<unknown> };
    if ('buildInfo' in answers) fake.buildInfo = async () => answers.buildInfo;
    if ('me' in answers) fake.getUser = async () => answers.me;
    const rt = await t.registry.runtime(ref);
    expect(rt.state).toEqual({
      ready: false,
      reason: 'NotCoder',
      message: `server at coder.example.com did not answer like a Coder API (${what}); check the connection URL`,
    });
    expect(t.coder.calls.filter((c) => c.method === 'listWorkspaces')).toEqual([]);
  });

  it.each([
    ['an HTML page (200) to everything', 200, 'GET /api/v2/buildinfo, HTTP 200'],
    ['an HTML 404 to everything', 404, 'GET /api/v2/buildinfo, HTTP 404'],
  ])('a real client against a server that is not Coder, %s: NotCoder, nothing of the page', async (_name, status, what) => {
    const server = await startServer((_req, res) =>
      res.writeHead(status, { 'Content-Type': 'text/html' }).end('<html>internal admin console: hunter2</html>'),
    );
    try {
      const registry = new ConnectionRegistry({
        readSecret: async () => ({ value: 'abcdefghij-0123456789abcdefghijkl', labels: { [SECRET_TYPE_LABEL]: 'coder-token' } }),
        makeApi: (o) => new CoderClient({ ...o, maxRetries: 0 }),
        logger: pino({ level: 'silent' }),
      });
      const rt = await registry.runtime({ ...ref, spec: { ...ref.spec, url: server.url } });
      expect(rt.state).toEqual({
        ready: false,
        reason: 'NotCoder',
        message: `server at ${new URL(server.url).host} did not answer like a Coder API (${what}); check the connection URL`,
      });
      expect(server.requests.map((r) => r.path)).toEqual(['/api/v2/buildinfo']);
    } finally {
      await server.close();
    }
  });
});

describe('a refresh while reconciles write', () => {
  it('keeps what they learned while the list was in flight: the list may predate their writes', async () => {
    const t = setup();
    const rt = await t.registry.runtime(ref);
    const before = coderWorkspace({ ttl_ms: 3_600_000 });
    // The list answers with the workspace as it was before the write below landed.
    t.coder.listed = [before];
    let answer!: () => void;
    const listed = new Promise<void>((r) => (answer = r));
    const list = t.coder.forEachWorkspacePage;
    t.coder.forEachWorkspacePage = async (opts, onPage) => {
      await listed;
      return list(opts, onPage);
    };
    const refreshing = rt.refresh();
    // A reconcile set the TTL and put the result into the snapshot in use.
    rt.snapshot.put({ ...rt.snapshot.get(before.id)!, ttlMs: 7_200_000 });
    answer();
    const fresh = await refreshing;
    expect(fresh.get(before.id)?.ttlMs).toBe(7_200_000);
    // Recording stopped with the refresh: a later change to the old snapshot is not carried anywhere.
    const another = await rt.refresh();
    expect(another.get(before.id)?.ttlMs).toBe(3_600_000);
  });
});
