// WorkspaceSet on the real control plane (etcd + kube-apiserver, the chart's
// RBAC for real) with the Coder simulator: a users query stamps one Workspace
// per matching user and each reaches Coder; a group generator follows the
// group; a user who joins gets a child within one refresh; without the
// Premium feature a group generator holds everything with a clear condition;
// an unchanged refresh costs one user list read per page and no write,
// anywhere; kstatus (the real library) and kubectl's printer columns read
// what the operator wrote.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binaries } from '../control-plane/control-plane.ts';
import { kubectl, kubectlOk } from './kubectl.ts';
import {
  apiserverWrites,
  apply,
  coderWrites,
  condition,
  diffCounts,
  eventually,
  measure,
  operatorWritable,
  setUpOperatorEnv,
  type OperatorEnv,
  type OperatorProcess,
} from './operator-harness.ts';
import { childrenOf, getSet, setEvents, waitSet, workspaceSetDoc } from './workspaceset-harness.ts';

const REFRESH_MS = 5_000;
// One operator env per file, seeded and flagged for this file's cases; what every file shares is setUpOperatorEnv (operator-harness.ts).
let env: OperatorEnv;
let op: OperatorProcess;
let ns: string;

beforeAll(async () => {
  env = await setUpOperatorEnv({
    sim: {
      buildDurationMs: 200,
      seed: {
        premium: true,
        users: [
          { username: 'admin', roles: ['owner'] },
          { username: 'alice' },
          { username: 'bob' },
          { username: 'carol' },
          { username: 'dave', status: 'suspended' },
        ],
        groups: [{ name: 'platform', members: ['alice', 'carol'] }],
        templates: [{ name: 'docker' }],
      },
    },
  });
  ns = env.teams[0]!;
  op = await env.start({ name: 'workspaceset' });
});

afterAll(async () => {
  if (op) process.stdout.write(`[e2e] operator log: ${op.logFile}\n`);
  await env?.close();
});

function set(name: string, spec: Record<string, unknown>): object {
  return workspaceSetDoc(ns, name, { template: { spec: { template: 'docker', ttl: '2h' } }, refreshInterval: '5s', ...spec });
}

const allReady = (members: number) => (s: any) =>
  condition(s, 'Ready')?.status === 'True' && s.status.members === members && s.status.ready === members;

function coderWorkspace(owner: string, name: string) {
  const user = env.sim.state.findUser(owner);
  return user ? env.sim.state.findLiveWorkspace(user.id, name) : undefined;
}

/** kstatus.Compute (the real library) over the namespace's WorkspaceSets. */
async function kstatus(name: string): Promise<{ status: string; message: string }> {
  const list = await kubectlOk(['get', 'workspacesets.coderops.dev', '-n', ns, '-o', 'json']);
  const out = await new Promise<string>((resolve, reject) => {
    const child = execFile(binaries().kstatus, [], (error, stdout, stderr) =>
      error ? reject(new Error(`kstatus: ${stderr || error.message}`)) : resolve(stdout),
    );
    child.stdin!.end(list);
  });
  const line = out.split('\n').find((l) => l.startsWith(`${name}\t`));
  const [, status = '', message = ''] = (line ?? '').split('\t');
  return { status, message };
}

describe('WorkspaceSet operator (simulator)', () => {
  it('a users query stamps one Workspace per active user; kubectl wait and kstatus see the set Ready', async () => {
    await apply(set('active', { generators: [{ users: { query: 'status:active', exclude: ['admin'] } }] }));
    const s = await waitSet(ns, 'active', 'three members, all ready', allReady(3), 60_000);
    const children = await childrenOf(ns, s);
    expect([...children.keys()].sort()).toEqual(['active-alice', 'active-bob', 'active-carol']);
    for (const [name, child] of children) {
      expect(child.spec.owner).toBe(name.slice('active-'.length));
      expect(child.metadata.ownerReferences[0]).toMatchObject({
        kind: 'WorkspaceSet',
        name: 'active',
        controller: true,
        blockOwnerDeletion: true,
      });
      expect(coderWorkspace(child.spec.owner, name), `${name} in Coder`).toBeDefined();
    }
    expect(coderWorkspace('dave', 'active-dave')).toBeUndefined();
    const waited = await kubectl(['wait', '-n', ns, '--for=condition=Ready', '--timeout=30s', 'workspaceset/active']);
    expect(waited.code, waited.stderr).toBe(0);
    expect(await kstatus('active')).toMatchObject({ status: 'Current' });
    // Printer columns: MEMBERS CHILDREN READY CHILDREN READY.
    const table = await kubectlOk(['get', 'workspacesets.coderops.dev', 'active', '-n', ns]);
    expect(table.split('\n')[0]).toMatch(/NAME\s+MEMBERS\s+CHILDREN\s+READY CHILDREN\s+READY\s+AGE/);
    expect(table.split('\n')[1]).toMatch(/^active\s+3\s+3\s+3\s+True\s+/);
  });

  it('an unchanged refresh costs one user list read per page and writes nothing, to Coder or Kubernetes', async () => {
    await waitSet(ns, 'active', 'settled', allReady(3), 30_000);
    await new Promise((r) => setTimeout(r, REFRESH_MS));
    const calls = env.sim.calls.length;
    const before = await apiserverWrites();
    await new Promise((r) => setTimeout(r, 3 * REFRESH_MS));
    const after = await apiserverWrites();
    const since = env.sim.calls.slice(calls);
    const userLists = since.filter((c) => c.method === 'GET' && c.route === '/api/v2/users').length;
    measure(
      `3 refresh periods of a 3-member set: ${userLists} user list reads, ${coderWrites({ calls: since } as never).length} Coder writes`,
    );
    expect(userLists).toBeGreaterThanOrEqual(2);
    expect(userLists).toBeLessThanOrEqual(4);
    expect(since.filter((c) => c.method !== 'GET' && c.method !== 'HEAD')).toEqual([]);
    expect(Object.fromEntries(Object.entries(diffCounts(before, after)).filter(([k]) => operatorWritable(k)))).toEqual({});
  });

  it('a user who becomes active gets a Workspace within one refresh; one who is suspended keeps it (createUpdate)', async () => {
    const dave = env.sim.state.findUser('dave')!;
    const started = Date.now();
    dave.status = 'active';
    await eventually('dave has a workspace in Coder', () => coderWorkspace('dave', 'active-dave'), REFRESH_MS + 30_000);
    measure(`a user who became active had a workspace ${Date.now() - started} ms later (refresh ${REFRESH_MS} ms)`);
    await waitSet(ns, 'active', 'four members', allReady(4), 30_000);

    env.sim.state.findUser('bob')!.status = 'suspended';
    const s = await waitSet(ns, 'active', 'three members, four children', (x) => x.status.members === 3 && x.status.children === 4, 30_000);
    expect([...(await childrenOf(ns, s)).keys()]).toContain('active-bob');
    expect(coderWorkspace('bob', 'active-bob')).toBeDefined();
    const notes = (await setEvents(ns, 'active')).map((e) => `${e.reason}: ${e.note}`);
    expect(notes).toContain('MemberJoined: dave joined: created Workspace active-dave');
    expect(notes).toContain('MemberLeft: bob left: Workspace active-bob kept (syncPolicy createUpdate never removes a child)');
  });

  it('a group generator follows the group; under createDelete a member who leaves it is removed (orphaned in Coder)', async () => {
    await apply(
      set('platform', {
        generators: [{ group: { name: 'platform' } }],
        syncPolicy: 'createDelete',
        template: { metadata: { name: 'pf-{{username}}', labels: { team: 'platform' } }, spec: { template: 'docker' } },
      }),
    );
    await waitSet(ns, 'platform', 'two members', allReady(2), 60_000);
    const org = env.sim.state.defaultOrg();
    const group = env.sim.state.findGroup(org.id, 'platform')!;
    group.memberIds.add(env.sim.state.findUser('bob')!.id);
    group.memberIds.delete(env.sim.state.findUser('alice')!.id);
    await eventually(
      'pf-bob in, pf-alice out',
      async () => [...(await childrenOf(ns, await getSet(ns, 'platform'))).keys()].sort().join() === 'pf-bob,pf-carol',
      30_000,
    );
    const s = await waitSet(ns, 'platform', 'two members ready', allReady(2), 30_000);
    expect(condition(s, 'Synced')?.status).toBe('True');
    // The child is gone, the Coder workspace stays: deletionPolicy defaults to Orphan.
    expect(coderWorkspace('alice', 'pf-alice')).toBeDefined();
    expect((await childrenOf(ns, s)).get('pf-bob').metadata.labels).toMatchObject({ team: 'platform', 'coderops.dev/member': 'bob' });
  });

  it('without the Premium feature a group generator holds everything, Stalled with GroupsUnavailable (kstatus: Failed)', async () => {
    const before = await childrenOf(ns, await getSet(ns, 'platform'));
    env.sim.state.premium = false;
    // Also drop a member in the same edit: nothing may change while the generators fail.
    await apply(
      set('platform', {
        generators: [{ group: { name: 'platform' } }, { list: { elements: [{ username: 'alice' }] } }],
        syncPolicy: 'createDelete',
        template: { metadata: { name: 'pf-{{username}}', labels: { team: 'platform' } }, spec: { template: 'docker' } },
      }),
    );
    const s = await waitSet(ns, 'platform', 'held', (x) => condition(x, 'Stalled')?.status === 'True', 30_000);
    expect(condition(s, 'Synced')).toMatchObject({ status: 'False', reason: 'GroupsUnavailable' });
    expect(condition(s, 'Synced')?.message).toContain('Premium');
    expect(await kstatus('platform')).toMatchObject({ status: 'Failed' });
    await new Promise((r) => setTimeout(r, 2 * REFRESH_MS));
    const after = await childrenOf(ns, await getSet(ns, 'platform'));
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    expect(coderWorkspace('alice', 'pf-alice')).toBeDefined();
    env.sim.state.premium = true;
    await waitSet(ns, 'platform', 'synced again', (x) => condition(x, 'Synced')?.status === 'True', 30_000);
  });
});
