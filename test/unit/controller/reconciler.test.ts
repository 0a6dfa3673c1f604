// The reconcile steps against fakes (no network): a Kubernetes store that
// applies our writes, and the engine's scriptable FakeCoder.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ClusterCoderConnection, Workspace } from '../../../src/api/schema.ts';
import { CoderApiError } from '../../../src/coder/errors.ts';
import type { Workspace as CoderWorkspace } from '../../../src/coder/types.ts';
import { ConnectionRegistry } from '../../../src/controller/connection/registry.ts';
import { FINALIZER } from '../../../src/controller/workspace/decide.ts';
import { Reconciler } from '../../../src/controller/workspace/reconciler.ts';
import { needsAPerson, RETRY_ON_CHANGE } from '../../../src/controller/workspace/terminal.ts';
import type { Action } from '../../../src/engine/types.ts';
import { TerminalError } from '../../../src/kube/terminal-error.ts';
import { coderWorkspace, FakeCoder } from '../engine/fake-coder.ts';
import { clusterCoderConnection, coderConnection } from '../../support/coder-connection.ts';
import { workspace as storedWorkspace } from '../../support/workspace.ts';
import { FakeKube } from './fake-kube.ts';

const KEY = 'team-a/dev';
const NOW = new Date('2026-11-10T12:00:00.000Z');

/** This file's Workspaces keep a TTL of an hour, as `running()` shows it in Coder. */
const workspace = (spec: Partial<Workspace['spec']> = {}, meta: Partial<Workspace['metadata']> = {}, status?: Workspace['status']) =>
  storedWorkspace({ ttl: '1h', ...spec }, meta, status);

const running = (o: Partial<CoderWorkspace> = {}): CoderWorkspace => {
  const ws = coderWorkspace({ ttl_ms: 3_600_000, ...o });
  return { ...ws, latest_build: { ...ws.latest_build, status: 'running', job: { ...ws.latest_build.job, status: 'succeeded' } } };
};

const connection = coderConnection();

function setup(opts: {
  ws: Workspace;
  listed?: CoderWorkspace[];
  created?: CoderWorkspace;
  policy?: 'Orphan' | 'Delete';
  cluster?: ClusterCoderConnection;
}) {
  const log: string[] = [];
  const kube = new FakeKube(log);
  kube.put(opts.ws);
  const coder = new FakeCoder();
  coder.listed = opts.listed ?? [];
  coder.created = opts.created ?? running();
  const created = coder.createWorkspace;
  coder.createWorkspace = (owner, req) => {
    log.push('coder:createWorkspace');
    return created(owner, req);
  };
  let apis = 0;
  const registry = new ConnectionRegistry({
    readSecret: () => kube.readSecret(),
    makeApi: () => (apis++, coder),
    logger: pino({ level: 'silent' }),
  });
  const reconciler = new Reconciler({
    caches: {
      workspace: (k) => kube.get(k),
      coderConnection: (k) => (k === 'team-a/default' ? connection : undefined),
      clusterCoderConnection: (n) => (opts.cluster && n === opts.cluster.metadata.name ? opts.cluster : undefined),
      namespaceLabels: () => ({}),
    },
    connections: registry,
    kube,
    settings: { deletionPolicy: opts.policy ?? 'Orphan', now: () => NOW },
    telemetry: { logger: pino({ level: 'silent' }) },
  });
  const writesBefore = () => ({ coder: coder.writes().length, kube: kube.writes().length });
  return { kube, coder, log, registry, reconciler, reconcile: () => reconciler.reconcile(KEY), apis: () => apis, writesBefore };
}

const ref = {
  id: 'CoderConnection/team-a/default',
  kind: 'CoderConnection' as const,
  name: 'default',
  secretNamespace: 'team-a',
  spec: connection.spec,
};

const cond = (ws: Workspace | undefined, type: string) => ws?.status?.conditions?.find((c) => c.type === type);

describe('Reconciler', () => {
  it('create with Delete: finalizer first, then the create call, then the status, then the Event', async () => {
    const t = setup({ ws: workspace(), policy: 'Delete' });
    expect(await t.reconcile()).toEqual({});
    expect(t.log.filter((l) => l !== 'kube:status:CoderConnection')).toEqual([
      // The connection and its token Secret are kept while this Workspace may need them to delete (issue 18 item 8).
      'kube:finalizers:CoderConnection',
      'kube:finalizers:Secret',
      'kube:finalizers',
      'coder:createWorkspace',
      'kube:status:Workspace',
      'event:Created',
    ]);
    const ws = t.kube.get(KEY)!;
    expect(ws.metadata.finalizers).toEqual([FINALIZER]);
    expect(ws.status?.id).toBe(running().id);
    expect(cond(ws, 'Synced')?.reason).toBe('Created');
  });

  it('create with Orphan: no finalizer (its deletion needs no cleanup), the create call, the status, the Event', async () => {
    const t = setup({ ws: workspace() });
    expect(await t.reconcile()).toEqual({});
    expect(t.log.filter((l) => l !== 'kube:status:CoderConnection')).toEqual([
      'coder:createWorkspace',
      'kube:status:Workspace',
      'event:Created',
    ]);
    const ws = t.kube.get(KEY)!;
    expect(ws.metadata.finalizers).toBeUndefined();
    expect(ws.status?.id).toBe(running().id);
    expect(cond(ws, 'Ready')?.status).toBe('True');
    expect(cond(ws, 'Synced')?.reason).toBe('Created');
  });

  it('idle: a second pass makes zero Coder writes and zero status patches', async () => {
    const t = setup({ ws: workspace() });
    await t.reconcile();
    // The created workspace told the snapshot whether renames are allowed: the connection's status says so, once.
    await t.reconcile();
    expect(t.kube.statusPatches.filter((p) => p.ref.kind === 'CoderConnection')).toHaveLength(2);
    const before = t.writesBefore();
    const calls = t.coder.calls.length;
    for (let i = 0; i < 3; i++) expect(await t.reconcile()).toEqual({});
    expect(t.writesBefore()).toEqual(before);
    expect(t.coder.calls.length).toBe(calls); // not even a read: the snapshot answers
  });

  it("owner: me is the connection token's user: its workspace is adopted, not created again or reported as another owner's", async () => {
    const t = setup({ ws: workspace({ owner: 'me' }), listed: [running()] });
    // The connection check's GET /users/me answers for the token's user, alice.
    const getUser = t.coder.getUser;
    t.coder.getUser = (user) => getUser(user === 'me' ? 'alice' : user);
    expect(await t.reconcile()).toEqual({});
    expect(t.coder.writes()).toEqual([]);
    const ws = t.kube.get(KEY)!;
    expect(ws.status?.id).toBe(running().id);
    expect(cond(ws, 'Synced')?.status, JSON.stringify(ws.status?.conditions)).toBe('True');
    // Quiet afterwards: the resolved owner matches the snapshot on every pass.
    const before = t.writesBefore();
    expect(await t.reconcile()).toEqual({});
    expect(t.writesBefore()).toEqual(before);
  });

  it.each([
    ['Orphan', ['kube:status:Workspace'], undefined],
    ['Delete', ['kube:finalizers', 'kube:status:Workspace'], [FINALIZER]],
  ] as const)('adopting a matching workspace (%s): the writes that carry information, no Event', async (policy, writes, finalizers) => {
    const t = setup({ ws: workspace(), listed: [running()], policy });
    expect(await t.reconcile()).toEqual({});
    expect(t.log.filter((l) => l !== 'kube:status:CoderConnection' && !l.startsWith('kube:finalizers:'))).toEqual(writes);
    expect(t.kube.events).toEqual([]);
    expect(t.coder.writes()).toEqual([]);
    const ws = t.kube.get(KEY)!;
    expect(ws.metadata.finalizers).toEqual(finalizers);
    expect(ws.status?.id).toBe(running().id);
    expect(cond(ws, 'Ready')?.status).toBe('True');
  });

  it('a Workspace turned from Orphan to Delete gets the finalizer before anything else', async () => {
    const t = setup({ ws: workspace(), listed: [running()] });
    await t.reconcile();
    expect(t.kube.get(KEY)?.metadata.finalizers).toBeUndefined();
    const adopted = t.kube.get(KEY)!;
    t.kube.put({ ...adopted, metadata: { ...adopted.metadata, generation: 2 }, spec: { ...adopted.spec, deletionPolicy: 'Delete' } });
    t.log.length = 0;
    await t.reconcile();
    expect(t.log.filter((l) => l !== 'kube:status:CoderConnection' && !l.startsWith('kube:finalizers:'))[0]).toBe('kube:finalizers');
    expect(t.kube.get(KEY)?.metadata.finalizers).toEqual([FINALIZER]);
    expect(t.coder.writes()).toEqual([]);
  });

  it('forgets a written status once the cache shows a newer version, and still writes nothing more', async () => {
    const t = setup({ ws: workspace(), listed: [running()] });
    await t.reconcile();
    expect(t.reconciler.pendingStatuses).toBe(1);
    t.reconciler.cacheCaughtUp(KEY, '1'); // still the version the status was based on: keep it
    expect(t.reconciler.pendingStatuses).toBe(1);
    t.reconciler.cacheCaughtUp(KEY, t.kube.get(KEY)!.metadata.resourceVersion);
    expect(t.reconciler.pendingStatuses).toBe(0);
    const writes = t.kube.writes().length;
    await t.reconcile();
    expect(t.kube.writes().length).toBe(writes);
  });

  it('idle over an existing, settled workspace: zero writes anywhere', async () => {
    const t = setup({ ws: workspace(), listed: [running()] });
    await t.reconcile(); // adopts, writes the first status
    const writes = t.coder.writes().length;
    const kubeWrites = t.kube.writes().length;
    await t.reconcile();
    expect(t.coder.writes().length).toBe(writes);
    expect(t.kube.writes().length).toBe(kubeWrites);
    expect(writes).toBe(0);
  });

  it('drift: corrects the field, one Updated Event, lastDrift reported', async () => {
    const t = setup({ ws: workspace(), listed: [running()] });
    await t.reconcile();
    t.coder.listed = [running({ ttl_ms: 7_200_000 })];
    // The resync's one list is what sees the out-of-band change.
    await (await t.registry.runtime(ref)).refresh();
    const writes = t.coder.writes().length;
    expect(await t.reconcile()).toEqual({});
    expect(
      t.coder
        .writes()
        .slice(writes)
        .map((c) => [c.method, c.args[1]]),
    ).toEqual([['setTtl', 3_600_000]]);
    const ws = t.kube.get(KEY)!;
    expect(ws.status?.lastDrift).toEqual(['ttl']);
    expect(ws.status?.ttl).toBe('1h');
    expect(t.kube.events.filter((e) => e.reason === 'Updated').map((e) => e.note)).toEqual(['updated ttl in Coder: 2h -> 1h']);
  });

  it('a bound workspace that vanished is recreated, with an Event', async () => {
    const status = { id: 'gone-id', conditions: [] };
    const t = setup({ ws: workspace({}, { finalizers: [FINALIZER] }, status), listed: [] });
    await t.reconcile();
    expect(t.coder.calls.filter((c) => c.method === 'createWorkspace')).toHaveLength(1);
    expect(t.kube.events.map((e) => e.reason)).toContain('Recreated');
    expect(t.kube.get(KEY)?.status?.id).toBe(running().id);
  });

  it('429: requeue after Retry-After, status RateLimited', async () => {
    const t = setup({ ws: workspace({}, { finalizers: [FINALIZER] }), listed: [running({ ttl_ms: 7_200_000 })] });
    t.coder.failures.setTtl = new CoderApiError({
      status: 429,
      method: 'PUT',
      path: '/api/v2/workspaces/x/ttl',
      response: { message: 'slow down' },
      retryAfterSeconds: 7,
    });
    expect(await t.reconcile()).toEqual({ requeueAfter: 7000 });
    expect(cond(t.kube.get(KEY), 'Synced')?.reason).toBe('RateLimited');
    expect(t.kube.events.map((e) => [e.type, e.reason])).toContainEqual(['Warning', 'RateLimited']);
  });

  it('another Coder failure: rate-limited retry through the queue', async () => {
    const t = setup({ ws: workspace({}, { finalizers: [FINALIZER] }), listed: [running({ ttl_ms: 7_200_000 })] });
    t.coder.failures.setTtl = new CoderApiError({ status: 500, method: 'PUT', path: '/x', response: { message: 'boom' } });
    const result = await t.reconcile();
    expect(result && 'error' in result).toBe(true);
    expect(cond(t.kube.get(KEY), 'Synced')?.reason).toBe('CoderError');
  });

  it('a build still running: requeue soon, then less often, so Ready flips without waiting for resync', async () => {
    const pending = coderWorkspace({ ttl_ms: 3_600_000 });
    const t = setup({ ws: workspace(), created: pending });
    expect(await t.reconcile()).toEqual({ requeueAfter: 250 });
    expect(cond(t.kube.get(KEY), 'Ready')?.reason).toBe('Provisioning');
    const requeues = [];
    for (let i = 0; i < 4; i++) requeues.push(await t.reconcile());
    expect(requeues).toEqual([{ requeueAfter: 500 }, { requeueAfter: 1000 }, { requeueAfter: 2000 }, { requeueAfter: 2000 }]);
    t.coder.created = running(); // what getWorkspace answers now
    expect(await t.reconcile()).toEqual({});
    expect(cond(t.kube.get(KEY), 'Ready')?.status).toBe('True');
    expect(t.coder.calls.filter((c) => c.method === 'createWorkspace')).toHaveLength(1);
  });

  it('delete with Orphan: drops the finalizer, no Coder call at all', async () => {
    const t = setup({
      ws: workspace({}, { finalizers: [FINALIZER], deletionTimestamp: NOW.toISOString() }, { id: running().id }),
      listed: [running()],
    });
    await t.reconcile();
    expect(t.log).toEqual(['kube:finalizers']);
    expect(t.coder.calls).toEqual([]);
    expect(t.kube.get(KEY)).toBeUndefined();
  });

  it('delete with Delete: starts the delete build, requeues, drops the finalizer once Coder has no workspace', async () => {
    const t = setup({
      ws: workspace({ deletionPolicy: 'Delete' }, { finalizers: [FINALIZER], deletionTimestamp: NOW.toISOString() }, { id: running().id }),
      listed: [running()],
    });
    expect(await t.reconcile()).toEqual({ requeueAfter: 250 });
    expect(t.coder.writes().map((c) => [c.method, c.args[1]])).toEqual([['createBuild', { transition: 'delete' }]]);
    expect(cond(t.kube.get(KEY), 'Ready')?.reason).toBe('Deleting');
    expect(t.kube.get(KEY)?.metadata.finalizers).toEqual([FINALIZER]);
    expect(t.kube.events.map((e) => e.reason)).toEqual(['Deleting']);
    // Still building: one GET of the workspace, no second delete build.
    t.coder.created = { ...running(), latest_build: { ...running().latest_build, transition: 'delete', status: 'deleting' } };
    expect(await t.reconcile()).toEqual({ requeueAfter: 500 });
    expect(t.coder.writes()).toHaveLength(1);
    // Gone (410): the finalizer goes.
    t.coder.failures.getWorkspace = new CoderApiError({ status: 410, method: 'GET', path: '/x', response: { message: 'deleted' } });
    await t.reconcile();
    expect(t.kube.get(KEY)).toBeUndefined();
    expect(t.coder.writes()).toHaveLength(1);
  });

  it('suspended: Synced=False Suspended and no Coder call', async () => {
    const t = setup({ ws: workspace({ suspend: true }) });
    await t.reconcile();
    expect(t.apis()).toBe(0);
    expect(cond(t.kube.get(KEY), 'Synced')?.reason).toBe('Suspended');
  });

  it('invalid spec: InvalidSpec naming the field, no Coder call', async () => {
    const t = setup({ ws: workspace({ ttl: 'banana' }) });
    await t.reconcile();
    expect(t.apis()).toBe(0);
    expect(cond(t.kube.get(KEY), 'Ready')?.reason).toBe('InvalidSpec');
    expect(cond(t.kube.get(KEY), 'Ready')?.message).toContain('spec.ttl');
    expect(t.kube.events.map((e) => [e.type, e.reason])).toEqual([['Warning', 'InvalidSpec']]);
    await t.reconcile(); // same failure again: no second write, no second Event
    expect(t.kube.events).toHaveLength(1);
    expect(t.kube.writes()).toHaveLength(1);
  });

  it('forbidden by a ClusterCoderConnection: Forbidden, no Coder call', async () => {
    const cluster = clusterCoderConnection({
      tokenSecretRef: { name: 'coder', key: 'token', namespace: 'ops' },
      allow: [{ namespaceSelector: { matchNames: ['team-b'] }, owners: ['*'] }],
    });
    const t = setup({ ws: workspace({ connectionRef: { kind: 'ClusterCoderConnection', name: 'shared' } }), cluster });
    await t.reconcile();
    expect(t.apis()).toBe(0);
    expect(cond(t.kube.get(KEY), 'Ready')?.reason).toBe('Forbidden');
    expect(cond(t.kube.get(KEY), 'Ready')?.message).toContain('team-a');
  });

  it('a bad token: connection Ready=False, Workspace ConnectionNotReady, no workspace call', async () => {
    const t = setup({ ws: workspace() });
    t.coder.failures.getUser = new CoderApiError({
      status: 401,
      method: 'GET',
      path: '/api/v2/users/me',
      response: { message: 'unauthorized' },
    });
    await t.reconcile();
    expect(cond(t.kube.get(KEY), 'Ready')?.reason).toBe('ConnectionNotReady');
    expect(t.coder.calls.map((c) => c.method)).toEqual(['buildInfo', 'getUser']);
    const connPatch = t.kube.statusPatches.find((p) => p.ref.kind === 'CoderConnection');
    expect(JSON.stringify(connPatch?.patch)).toContain('Unauthorized');
    expect(t.kube.get(KEY)?.metadata.finalizers).toBeUndefined();
    await t.reconcile();
    expect(t.coder.calls).toHaveLength(2); // no further Coder calls until the connection changes or resync
  });

  it('the connection status is written once with the server version', async () => {
    const t = setup({ ws: workspace(), listed: [running()] });
    await t.reconcile();
    await t.reconcile();
    const patches = t.kube.statusPatches.filter((p) => p.ref.kind === 'CoderConnection');
    expect(patches).toHaveLength(1);
    expect(patches[0]!.patch).toMatchObject({ version: 'v2.36.1', renamesAllowed: true });
  });
});

describe('Reconciler: failures only a person can fix (terminal errors)', () => {
  const refused = (status: number, method: string, path: string) =>
    new CoderApiError({ status, method, path, response: { message: `refused ${status}` } });
  const terminal = (result: unknown) => (result as { error?: unknown } | undefined)?.error instanceof TerminalError;

  it.each([
    { what: '403 on a settings update', status: 403, method: 'PUT', path: '/api/v2/workspaces/x/ttl', reason: 'Forbidden' },
    { what: '400 (Coder refused the values)', status: 400, method: 'PUT', path: '/api/v2/workspaces/x/ttl', reason: 'CoderRejected' },
  ])('$what: no retry, Stalled says what to change; a new generation or connection runtime runs it again', async (c) => {
    const t = setup({ ws: workspace({}, { finalizers: [FINALIZER] }), listed: [running({ ttl_ms: 7_200_000 })] });
    t.coder.failures.setTtl = refused(c.status, c.method, c.path);
    expect(terminal(await t.reconcile())).toBe(true);
    const ws = t.kube.get(KEY)!;
    expect(cond(ws, 'Synced')).toMatchObject({ status: 'False', reason: c.reason });
    expect(cond(ws, 'Stalled')).toMatchObject({ status: 'True', reason: c.reason });
    expect(cond(ws, 'Stalled')?.message).toContain(RETRY_ON_CHANGE);
    expect(cond(ws, 'Reconciling')).toBeUndefined();
    const rt = await t.registry.runtime(ref);
    expect(t.reconciler.waitsForChange(KEY, 1, rt)).toBe(true);
    // The spec changed: a new generation; the connection or its Secret changed: a new runtime.
    expect(t.reconciler.waitsForChange(KEY, 2, rt)).toBe(false);
    t.registry.invalidate(ref.id);
    expect(t.reconciler.waitsForChange(KEY, 1, await t.registry.runtime(ref))).toBe(false);
    // Fixed by a person: the next reconcile succeeds and the mark is gone.
    delete t.coder.failures.setTtl;
    expect(terminal(await t.reconcile())).toBe(false);
    expect(t.reconciler.waitsForChange(KEY, 1, await t.registry.runtime(ref))).toBe(false);
    expect(cond(t.kube.get(KEY), 'Stalled')).toBeUndefined();
  });

  it('404 for the template a create names: terminal; the status names spec.template', async () => {
    const t = setup({ ws: workspace() });
    t.coder.failures.getTemplateByName = refused(404, 'GET', '/api/v2/organizations/default/templates/docker');
    expect(terminal(await t.reconcile())).toBe(true);
    expect(cond(t.kube.get(KEY), 'Stalled')).toMatchObject({ status: 'True', reason: 'NotFound' });
    expect(cond(t.kube.get(KEY), 'Synced')?.message).toContain('spec.template');
  });

  it.each([
    { what: '500', status: 500, path: '/api/v2/workspaces/x/ttl' },
    { what: '404 for the workspace itself (gone meanwhile)', status: 404, path: '/api/v2/workspaces/x/ttl' },
    { what: '409', status: 409, path: '/api/v2/workspaces/x/ttl' },
  ])('$what: retried with backoff as before, not marked', async (c) => {
    const t = setup({ ws: workspace({}, { finalizers: [FINALIZER] }), listed: [running({ ttl_ms: 7_200_000 })] });
    t.coder.failures.setTtl = refused(c.status, 'PUT', c.path);
    const result = await t.reconcile();
    expect(result && 'error' in result).toBe(true);
    expect(terminal(result)).toBe(false);
    expect(t.reconciler.waitsForChange(KEY, 1, await t.registry.runtime(ref))).toBe(false);
  });

  it('classifies by status and by what the 404 was for', () => {
    const create = { kind: 'create', create: { owner: 'alice', name: 'dev', template: 'docker', parameters: [] } } as unknown as Action;
    const ttl = { kind: 'ttl', fromMs: 1, toMs: 2 } as Action;
    expect(needsAPerson(ttl, refused(401, 'PUT', '/api/v2/workspaces/x/ttl'))).toBe(true);
    expect(needsAPerson(create, refused(404, 'GET', '/api/v2/users/alice'))).toBe(false);
    expect(needsAPerson(create, refused(404, 'GET', '/api/v2/organizations/o/templates/docker'))).toBe(true);
    expect(needsAPerson(ttl, new Error('socket hang up'))).toBe(false);
    expect(needsAPerson(ttl, refused(429, 'PUT', '/x'))).toBe(false);
  });
});
