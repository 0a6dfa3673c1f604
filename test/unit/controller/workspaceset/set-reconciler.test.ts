// The WorkspaceSet reconciler against fakes (set-world.ts): what each pass
// writes to Kubernetes, in what order and how many times, for the cases of
// issue 21 items 1-3. The safety rules are also checked over generated
// sequences in set-reconciler.property.test.ts.
import { describe, expect, it } from 'vitest';
import type { Workspace } from '../../../../src/api/schema.ts';
import { ACKNOWLEDGE_REMOVALS } from '../../../../src/controller/workspaceset/acknowledge.ts';
import { STAMP_HASH_LABEL } from '../../../../src/controller/workspaceset/child-object.ts';
import { forgetSecret, registerSecret } from '../../../../src/observability/logger.ts';
import { clusterCoderConnection } from '../../../support/coder-connection.ts';
import { condition, CONNECTION, NS, SET, SET_UID, SetWorld, users, workspaceSet } from './set-world.ts';

function ackValue(world: SetWorld): string {
  const message = condition(world.set(), 'Stalled')?.message ?? '';
  const match = new RegExp(`${ACKNOWLEDGE_REMOVALS}=(\\S+)`).exec(message);
  if (!match) throw new Error(`no acknowledgement in: ${message}`);
  return match[1]!;
}

describe('WorkspaceSet reconciler', () => {
  it('a users query creates one child per matching user, owned by the set', async () => {
    const world = new SetWorld();
    world.users = () => users('alice', 'bob');
    const result = await world.pass();
    expect(world.writes).toEqual(['create:devs-alice', 'create:devs-bob', 'status']);
    const [alice] = world.children();
    expect(alice!.spec).toMatchObject({ owner: 'alice', template: 'docker', ttl: '8h' });
    expect(alice!.metadata.labels).toMatchObject({ 'coderops.dev/workspace-set': SET, 'coderops.dev/member': 'alice' });
    expect((alice!.metadata as { ownerReferences?: unknown }).ownerReferences).toEqual([
      { apiVersion: 'coderops.dev/v1alpha1', kind: 'WorkspaceSet', name: SET, uid: SET_UID, controller: true, blockOwnerDeletion: true },
    ]);
    expect(world.set().status).toMatchObject({ members: 2, children: 0, lastMembers: 2, observedGeneration: 1 });
    expect(condition(world.set(), 'Synced')).toMatchObject({ status: 'True', observedGeneration: 1 });
    expect(condition(world.set(), 'Ready')).toMatchObject({ status: 'False', reason: 'ChildrenNotReady' });
    expect(world.events.map((e) => `${e.reason}: ${e.note}`)).toEqual([
      'MemberJoined: alice joined: created Workspace devs-alice',
      'MemberJoined: bob joined: created Workspace devs-bob',
    ]);
    expect(result).toEqual({ requeueAfter: 60_000 });

    // The children report Ready: the set follows, with one status write and no other.
    world.markChildrenReady();
    world.writes.length = 0;
    await world.pass();
    expect(world.writes).toEqual(['status']);
    expect(world.set().status).toMatchObject({ members: 2, children: 2, ready: 2, updating: 0, failed: 0 });
    expect(condition(world.set(), 'Ready')).toMatchObject({ status: 'True', reason: 'Ready' });
    expect(condition(world.set(), 'Stalled')).toBeUndefined();
  });

  it('steady state: passes between refreshes read nothing, an unchanged refresh reads once and writes nothing', async () => {
    const world = new SetWorld();
    world.users = () => users('alice', 'bob');
    await world.pass();
    world.markChildrenReady();
    await world.pass();
    world.writes.length = 0;
    world.reads.users = 0;
    // A child's status change brings the set back before its refresh: no Coder read.
    await world.pass();
    expect(world.reads.users).toBe(0);
    world.advance(60_000);
    const result = await world.pass();
    expect(world.reads.users).toBe(1);
    expect(world.writes).toEqual([]);
    expect(world.events).toHaveLength(2); // the two joins, nothing since
    expect(result).toEqual({ requeueAfter: 60_000 });
  });

  it('a new matching user gets a child at the next refresh, and only then', async () => {
    const world = new SetWorld();
    world.users = () => users('alice');
    await world.pass();
    world.users = () => users('alice', 'carol');
    world.writes.length = 0;
    await world.pass();
    expect(world.writes.filter((w) => w.startsWith('create'))).toEqual([]);
    world.advance(60_000);
    world.writes.length = 0;
    await world.pass();
    expect(world.writes).toEqual(['create:devs-carol', 'status']);
  });

  it('spec.refreshInterval sets the refresh, never below the floor', async () => {
    const world = new SetWorld(workspaceSet({ refreshInterval: '1s' }));
    world.users = () => users('alice');
    expect(await world.pass()).toEqual({ requeueAfter: 5_000 });
  });

  it('a member who leaves keeps the child under createUpdate (one MemberLeft Event), and under createOnly', async () => {
    for (const syncPolicy of ['createUpdate', 'createOnly'] as const) {
      const world = new SetWorld(workspaceSet({ syncPolicy }));
      world.users = () => users('alice', 'bob');
      await world.pass();
      world.users = () => users('alice');
      world.advance(60_000);
      world.writes.length = 0;
      world.events.length = 0;
      await world.pass();
      expect(world.writes.filter((w) => w !== 'status')).toEqual([]);
      expect(world.children().map((c) => c.metadata.name)).toEqual(['devs-alice', 'devs-bob']);
      expect(world.events.map((e) => e.note)).toEqual([
        `bob left: Workspace devs-bob kept (syncPolicy ${syncPolicy} never removes a child)`,
      ]);
      expect(world.set().status?.members).toBe(1);
      world.advance(60_000);
      await world.pass();
      expect(world.events, 'announced once').toHaveLength(1);
    }
  });

  it('a member who leaves under createDelete loses the child (uid precondition); the Coder workspace follows its deletionPolicy', async () => {
    const world = new SetWorld(workspaceSet({ syncPolicy: 'createDelete' }));
    world.users = () => users('alice', 'bob');
    await world.pass();
    const bob = world.children().find((c) => c.metadata.name === 'devs-bob')!;
    world.users = () => users('alice');
    world.advance(60_000);
    world.writes.length = 0;
    world.events.length = 0;
    await world.pass();
    expect(world.writes).toEqual(['delete:devs-bob', 'status']);
    expect(world.deletes).toEqual([
      { ref: { kind: 'Workspace', namespace: NS, name: 'devs-bob', uid: bob.metadata.uid }, resourceVersion: bob.metadata.resourceVersion },
    ]);
    expect(world.events.map((e) => e.note)).toEqual([
      'bob left: deleted Workspace devs-bob (syncPolicy createDelete); its Coder workspace is kept in Coder (deletionPolicy Orphan)',
    ]);
  });

  it.each([
    { reason: 'CoderUnavailable', error: 'coder down', stalled: false },
    { reason: 'Forbidden', error: '403', stalled: true },
  ])('a failing generator ($reason) changes no child, and says so once', async ({ reason, stalled }) => {
    const world = new SetWorld(workspaceSet({ syncPolicy: 'createDelete' }));
    world.users = () => users('alice', 'bob');
    await world.pass();
    world.markChildrenReady();
    const { CoderApiError, CoderNetworkError } = await import('../../../../src/coder/errors.ts');
    world.users = () => {
      if (reason === 'Forbidden')
        throw new CoderApiError({ status: 403, method: 'GET', path: '/api/v2/users', response: { message: 'no' } });
      throw new CoderNetworkError({ method: 'GET', path: '/api/v2/users', cause: new Error('ECONNREFUSED'), timedOut: false });
    };
    world.advance(60_000);
    world.writes.length = 0;
    world.events.length = 0;
    const result = await world.pass();
    expect(world.writes).toEqual(['status']);
    expect(world.children()).toHaveLength(2);
    expect(condition(world.set(), 'Synced')).toMatchObject({ status: 'False', reason });
    expect(condition(world.set(), 'Ready')).toMatchObject({ status: 'False', reason });
    expect(condition(world.set(), 'Stalled')?.status).toBe(stalled ? 'True' : undefined);
    expect(world.events.map((e) => `${e.type} ${e.reason}`)).toEqual([`Warning ${reason}`]);
    expect(result).toEqual({ requeueAfter: stalled ? 60_000 : 15_000 });
    // Looked at again before the retry is due (a child changed): no read, no write.
    world.writes.length = 0;
    const reads = world.reads.users;
    await world.pass();
    expect(world.reads.users).toBe(reads);
    expect(world.writes).toEqual([]);
    // Coder answers again: the set is Synced, and nothing was lost.
    world.users = () => users('alice', 'bob');
    world.advance(60_000);
    await world.pass();
    expect(condition(world.set(), 'Synced')?.status).toBe('True');
    expect(condition(world.set(), 'Stalled')).toBeUndefined();
    expect(world.children()).toHaveLength(2);
  });

  it('a pass that would remove more than maxRemovals is held whole, until acknowledged for exactly that batch', async () => {
    const world = new SetWorld(workspaceSet({ syncPolicy: 'createDelete', maxRemovals: 1 }));
    world.users = () => users('a1', 'a2', 'a3', 'a4', 'a5');
    await world.pass();
    world.users = () => users('a1', 'newcomer');
    world.advance(60_000);
    world.writes.length = 0;
    await world.pass();
    // Held: not even the newcomer's create.
    expect(world.writes).toEqual(['status']);
    expect(condition(world.set(), 'Stalled')).toMatchObject({ status: 'True', reason: 'TooManyRemovals' });
    expect(condition(world.set(), 'Synced')).toMatchObject({ status: 'False', reason: 'TooManyRemovals' });
    expect(world.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'TooManyRemovals' });
    const value = ackValue(world);
    expect(condition(world.set(), 'Stalled')?.message).toContain(
      `kubectl annotate workspaceset ${SET} -n ${NS} ${ACKNOWLEDGE_REMOVALS}=${value} --overwrite`,
    );

    // A stale or made-up value lets nothing through.
    world.annotateSet({ [ACKNOWLEDGE_REMOVALS]: 'remove-000000000000' });
    world.writes.length = 0;
    await world.pass();
    expect(world.writes).toEqual([]);

    world.annotateSet({ [ACKNOWLEDGE_REMOVALS]: value });
    await world.pass();
    expect(world.writes.sort()).toEqual(
      ['create:devs-newcomer', 'delete:devs-a2', 'delete:devs-a3', 'delete:devs-a4', 'delete:devs-a5', 'status'].sort(),
    );
    expect(condition(world.set(), 'Stalled')).toBeUndefined();

    // A later mass removal is a new batch: the old acknowledgement does not cover it.
    world.users = () => users('x1', 'x2', 'x3');
    world.advance(60_000);
    world.writes.length = 0;
    await world.pass();
    expect(world.writes).toEqual(['status']);
    expect(condition(world.set(), 'Stalled')?.reason).toBe('TooManyRemovals');
  });

  it('raising maxRemovals lets a held pass through', async () => {
    const world = new SetWorld(workspaceSet({ syncPolicy: 'createDelete', maxRemovals: 1 }));
    world.users = () => users('a1', 'a2', 'a3');
    await world.pass();
    world.users = () => users('a1');
    world.advance(60_000);
    await world.pass();
    expect(world.children()).toHaveLength(3);
    world.editSet({ maxRemovals: 5 });
    world.writes.length = 0;
    await world.pass();
    expect(world.writes.filter((w) => w.startsWith('delete:')).sort()).toEqual(['delete:devs-a2', 'delete:devs-a3']);
  });

  it('an empty result after members is held as suspicious, whatever the policy', async () => {
    for (const syncPolicy of ['createUpdate', 'createDelete'] as const) {
      const world = new SetWorld(workspaceSet({ syncPolicy }));
      world.users = () => users('alice', 'bob');
      await world.pass();
      world.users = () => [];
      world.advance(60_000);
      world.writes.length = 0;
      await world.pass();
      expect(world.writes).toEqual(['status']);
      expect(condition(world.set(), 'Stalled')).toMatchObject({ status: 'True', reason: 'MembershipEmpty' });
      expect(world.set().status?.lastMembers).toBe(2);
      expect(world.children()).toHaveLength(2);
    }
  });

  it('never takes over, changes or deletes a Workspace it does not control, even one with its labels', async () => {
    const world = new SetWorld(workspaceSet({ syncPolicy: 'createDelete' }));
    const impostor: Workspace = {
      apiVersion: 'coderops.dev/v1alpha1',
      kind: 'Workspace',
      metadata: {
        name: 'devs-mallory',
        namespace: NS,
        uid: 'hand-made',
        resourceVersion: '5',
        labels: { 'coderops.dev/workspace-set': SET, 'coderops.dev/member': 'mallory' },
      },
      spec: { owner: 'mallory', template: 'docker' },
    };
    world.putWorkspace(impostor);
    world.users = () => users('alice');
    await world.pass();
    expect(world.writes).toEqual(['create:devs-alice', 'status']);
    expect(world.workspaces.get(`${NS}/devs-mallory`)).toBe(impostor);

    // A member whose child name is taken: the pass is held, nothing is written.
    world.users = () => users('alice', 'mallory');
    world.advance(60_000);
    world.writes.length = 0;
    await world.pass();
    expect(world.writes).toEqual(['status']);
    expect(condition(world.set(), 'Stalled')).toMatchObject({ reason: 'NameCollision' });
    expect(world.workspaces.get(`${NS}/devs-mallory`)).toBe(impostor);
  });

  it('a create that finds the name taken since the cache was read: ours is fine, someone else is a conflict', async () => {
    const world = new SetWorld();
    world.lagging = true;
    world.users = () => users('alice');
    await world.pass();
    // The cache has not shown the child: the next pass does not create it again.
    world.writes.length = 0;
    await world.pass();
    expect(world.writes.filter((w) => w.startsWith('create'))).toEqual([]);
    // Still not shown a minute later: the create answers 409, and the read shows it is ours.
    world.advance(61_000);
    await world.pass();
    expect(world.writes.filter((w) => w.startsWith('create'))).toEqual(['create:devs-alice']);
    expect(condition(world.set(), 'Synced')?.status).toBe('True');
    world.flush();
    expect(world.children()).toHaveLength(1);
  });

  it('a create Kubernetes refuses stops the pass after one call (slow start) and is retried', async () => {
    const world = new SetWorld();
    world.users = () => users('a1', 'a2', 'a3', 'a4', 'a5', 'a6');
    world.failNext = { verb: 'create', n: 100, code: 403 };
    const result = await world.pass();
    expect(world.writes).toEqual(['create:devs-a1', 'status']);
    expect(condition(world.set(), 'Synced')).toMatchObject({ status: 'False', reason: 'ChildWriteFailed' });
    expect(condition(world.set(), 'Synced')?.message).toContain('5 more writes not tried after a failure');
    expect(result).toEqual({ requeueAfter: 15_000 });
    world.failNext = undefined;
    world.writes.length = 0;
    await world.pass();
    expect(world.writes.filter((w) => w.startsWith('create'))).toHaveLength(6);
  });

  it('a template change updates every child under createUpdate, none under createOnly, then is quiet', async () => {
    for (const syncPolicy of ['createUpdate', 'createOnly'] as const) {
      const world = new SetWorld(workspaceSet({ syncPolicy }));
      world.users = () => users('alice', 'bob');
      await world.pass();
      world.editSet({
        template: { metadata: { annotations: { team: 'a' } }, spec: { template: 'docker', autostart: { schedule: '30 8 * * 1-5' } } },
      });
      world.writes.length = 0;
      await world.pass();
      const updates = world.writes.filter((w) => w.startsWith('update:'));
      if (syncPolicy === 'createOnly') {
        expect(updates).toEqual([]);
        continue;
      }
      expect(updates).toEqual(['update:devs-alice', 'update:devs-bob']);
      const alice = world.children()[0]!;
      expect(alice.spec.ttl, 'a field the template dropped is removed').toBeUndefined();
      expect(alice.spec.autostart).toEqual({ schedule: '30 8 * * 1-5' });
      expect(alice.metadata.annotations).toEqual({ team: 'a' });
      world.writes.length = 0;
      world.advance(60_000);
      await world.pass();
      expect(world.writes.filter((w) => w !== 'status')).toEqual([]);
    }
  });

  it('a child edited by hand is set back under createUpdate', async () => {
    const world = new SetWorld();
    world.users = () => users('alice');
    await world.pass();
    const child = world.children()[0]!;
    world.putWorkspace({ ...child, spec: { ...child.spec, ttl: '1h' }, metadata: { ...child.metadata, resourceVersion: '999' } });
    world.writes.length = 0;
    await world.pass();
    expect(world.writes).toContain('update:devs-alice');
    expect(world.children()[0]!.spec.ttl).toBe('8h');
  });

  it('a connectionRef given without kind (defaulted by the apiserver) does not rewrite children on every pass', async () => {
    const world = new SetWorld(workspaceSet({ template: { spec: { template: 'docker', connectionRef: { name: 'default' } as never } } }));
    world.users = () => users('alice');
    await world.pass();
    const child = world.children()[0]!;
    // What the apiserver stores: the default filled in.
    world.putWorkspace({ ...child, spec: { ...child.spec, connectionRef: { kind: 'CoderConnection', name: 'default' } } });
    world.writes.length = 0;
    world.advance(60_000);
    await world.pass();
    expect(world.writes.filter((w) => w !== 'status')).toEqual([]);
    expect(child.metadata.labels?.[STAMP_HASH_LABEL]).toMatch(/^[0-9a-f]{16}$/);
  });

  it("reads members only through a connection in the set's own namespace", async () => {
    const world = new SetWorld(
      workspaceSet({ template: { spec: { template: 'docker', connectionRef: { kind: 'CoderConnection', name: 'shared' } } } }),
    );
    // A connection of that name exists, in another tenant's namespace.
    world.connections.set('team-b/shared', { ...CONNECTION, metadata: { name: 'shared', namespace: 'team-b' } });
    world.users = () => users('alice');
    await world.pass();
    expect(world.runtimesAsked).toEqual([]);
    expect(world.reads.users).toBe(0);
    expect(condition(world.set(), 'Synced')).toMatchObject({ status: 'False', reason: 'ConnectionNotReady' });
    expect(condition(world.set(), 'Synced')?.message).toContain('CoderConnection "shared" not found in namespace "team-a"');
  });

  it('a ClusterCoderConnection serves the set only where a rule selects its namespace, and only the owners listed', async () => {
    const cluster = clusterCoderConnection(
      {
        tokenSecretRef: { name: 'admin', key: 'token', namespace: 'coder' },
        allow: [{ namespaceSelector: { matchNames: ['team-b'] }, owners: ['*'] }],
      },
      { name: 'admin' },
    );
    const world = new SetWorld(
      workspaceSet({ template: { spec: { template: 'docker', connectionRef: { kind: 'ClusterCoderConnection', name: 'admin' } } } }),
    );
    world.clusterConnections.set('admin', cluster);
    world.users = () => users('alice', 'bob', 'carol');
    await world.pass();
    expect(world.reads.users).toBe(0);
    expect(condition(world.set(), 'Stalled')).toMatchObject({ reason: 'Forbidden' });

    world.clusterConnections.set('admin', {
      ...cluster,
      spec: { ...cluster.spec, allow: [{ namespaceSelector: { matchNames: [NS] }, owners: ['alice', 'carol'] }] },
    });
    world.editSet({});
    await world.pass();
    expect(world.children().map((c) => c.spec.owner)).toEqual(['alice', 'carol']);
    expect(world.set().status?.members).toBe(2);
  });

  it('a set made again under the same name starts afresh and leaves the old children alone', async () => {
    const world = new SetWorld(workspaceSet({ syncPolicy: 'createDelete' }));
    world.users = () => users('alice');
    await world.pass();
    const old = world.children()[0]!;
    world.sets.set(`${NS}/${SET}`, workspaceSet({ syncPolicy: 'createDelete' }, { uid: 'set-uid-2' }));
    world.users = () => users('bob');
    world.writes.length = 0;
    await world.pass();
    // The old child is not the new set's (another uid): its name is not taken over, nor is it removed.
    expect(world.writes).toEqual(['create:devs-bob', 'status']);
    expect(world.workspaces.get(`${NS}/devs-alice`)).toBe(old);
  });

  it('a set that is gone or being deleted gets no write', async () => {
    const world = new SetWorld(workspaceSet({}, { deletionTimestamp: '2026-12-07T12:00:00Z' }));
    world.users = () => users('alice');
    await world.pass();
    world.sets.clear();
    await world.pass();
    expect(world.writes).toEqual([]);
    expect(world.reads.users).toBe(0);
  });

  it('a token quoted by a failing generator is scrubbed from the set status and Event: the writer the operator shares does it', async () => {
    // The fake writer scrubs nothing: what reaches it went through the one scrubbing wrapper (scrubbing-kube-writer.ts).
    const token = 'set-admin-token-0123456789abcdef';
    registerSecret(token);
    try {
      const world = new SetWorld();
      world.users = () => {
        throw new Error(`proxy refused session ${token}: try again`);
      };
      await world.pass();
      const written = JSON.stringify({ status: world.statusPatches, events: world.events });
      expect(written).not.toContain(token);
      expect(condition(world.set(), 'Synced')?.message).toContain('proxy refused session [REDACTED]: try again');
      expect(world.events.map((e) => e.note)).toEqual([expect.stringContaining('proxy refused session [REDACTED]: try again')]);
      expect(world.eventsRegarding).toEqual([{ kind: 'WorkspaceSet', namespace: NS, name: SET, uid: SET_UID }]);
    } finally {
      forgetSecret(token);
    }
  });
});
