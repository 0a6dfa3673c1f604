// Issue 21 "Done when", the operator door, on the real control plane against a
// real coderd: a WorkspaceSet over a `users` query creates one workspace per
// matching user; a new user who matches (logged in once: Coder keeps a new
// user dormant until then) gets one within one refresh; a user who stops
// matching (suspended: the query says status:active) loses nothing under
// createUpdate and is orphaned under createDelete; a generator error (a group
// generator on a server without the Premium feature: Coder's own answer) and a
// mass removal hold everything still; an unchanged refresh reads the users and
// writes nothing, to Coder or to Kubernetes. What is asserted is coderd's own
// answer; the recording proxy shows the operator's calls.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlOk } from '../e2e/kubectl.ts';
import {
  apiserverWrites,
  apply,
  condition,
  diffCounts,
  eventually,
  measure,
  operatorWritable,
  setUpOperatorBase,
  type OperatorBase,
  type OperatorProcess,
} from '../e2e/operator-harness.ts';
import { acknowledgement, childrenOf, getSet, setEvents, waitSet, workspaceSetDoc } from '../e2e/workspaceset-harness.ts';
import { loginAs } from './bootstrap.ts';
import { startRecordingProxy, type RecordingProxy } from './recording-proxy.ts';
import { server, world } from './world.ts';

const REFRESH_MS = 5_000;
const coder = server();
let proxy: RecordingProxy;
let env: OperatorBase;
let op: OperatorProcess;
let team: string;
/** A prefix no other file's users share, so the query matches this file's users only. */
const prefix = `wss${randomBytes(2).toString('hex')}`;
const names = { u1: `${prefix}u1`, u2: `${prefix}u2`, u3: `${prefix}u3`, u4: `${prefix}u4`, u5: `${prefix}u5` };
const userIds = new Map<string, string>();

/** A user who has logged in once: Coder makes a new user dormant until then, and the query says status:active. */
async function createUser(username: string): Promise<void> {
  const user = await coder.admin.request('POST', '/api/v2/users', {
    email: `${username}@example.com`,
    username,
    password: 'cwo-Test-passw0rd-7f3k2',
    login_type: 'password',
    organization_ids: [coder.orgId],
  });
  userIds.set(username, user.id);
  await loginAs(coder.url, username);
}

async function suspend(username: string): Promise<void> {
  await coder.admin.request('PUT', `/api/v2/users/${userIds.get(username)}/status/suspend`);
}

function set(name: string, spec: Record<string, unknown>, annotations?: Record<string, string>): object {
  return workspaceSetDoc(
    team,
    name,
    {
      generators: [{ users: { query: `${prefix} status:active` } }],
      template: { spec: { template: 'plain' } },
      refreshInterval: `${REFRESH_MS / 1000}s`,
      ...spec,
    },
    annotations,
  );
}

/** The Coder workspace a set stamped for a user: its children's Coder name is the default, `<set>-<user>`. */
async function coderWorkspace(owner: string, name: string): Promise<any> {
  return coder.admin.workspaceByName(owner, name);
}

const ready = (members: number) => (s: any) =>
  condition(s, 'Ready')?.status === 'True' && s.status.members === members && s.status.ready === members;

beforeAll(async () => {
  proxy = await startRecordingProxy(coder.url);
  env = await setUpOperatorBase({ url: proxy.url, token: coder.adminToken }, { teams: 1 });
  team = env.teams[0]!;
  for (const u of [names.u1, names.u2, names.u3]) await createUser(u);
  op = await env.start({ name: 'coderd-set' });
});

afterAll(async () => {
  if (op) process.stdout.write(`[coderd] operator log: ${op.logFile}\n`);
  await env?.close();
  await proxy?.close();
});

describe(`WorkspaceSet operator on a real coderd ${world().version}`, () => {
  it('a users query creates one workspace per matching user, and a new user gets one within one refresh', async () => {
    await apply(set('fleet', { syncPolicy: 'createUpdate' }), set('gone', { syncPolicy: 'createDelete', maxRemovals: 1 }));
    for (const name of ['fleet', 'gone']) {
      const s = await waitSet(team, name, 'three members, all ready', ready(3), 120_000);
      expect((await childrenOf(team, s)).size).toBe(3);
      for (const u of [names.u1, names.u2, names.u3]) {
        const ws = await coderWorkspace(u, `${name}-${u}`);
        expect(ws?.owner_name, `${name}-${u} in coderd`).toBe(u);
      }
    }
    const joined = await setEvents(team, 'fleet');
    expect(
      joined
        .filter((e) => e.reason === 'MemberJoined')
        .map((e) => e.note)
        .sort(),
    ).toEqual([names.u1, names.u2, names.u3].map((u) => `${u} joined: created Workspace fleet-${u}`).sort());

    const started = Date.now();
    await createUser(names.u4);
    await eventually(`coderd has fleet-${names.u4}`, () => coderWorkspace(names.u4, `fleet-${names.u4}`), REFRESH_MS + 60_000);
    measure(`a new matching user's workspace appeared in coderd ${Date.now() - started} ms after the user (refresh ${REFRESH_MS} ms)`);
    await waitSet(team, 'fleet', 'four members, all ready', ready(4), 60_000);
    await waitSet(team, 'gone', 'four members, all ready', ready(4), 60_000);
  });

  it('an unchanged refresh reads the users and writes nothing, to Coder or to Kubernetes', async () => {
    // Past any write still in flight from the joins above.
    await new Promise((r) => setTimeout(r, REFRESH_MS));
    proxy.reset();
    const before = await apiserverWrites();
    await new Promise((r) => setTimeout(r, 3 * REFRESH_MS));
    const after = await apiserverWrites();
    const userReads = proxy.calls.filter((c) => c.method === 'GET' && c.path === '/api/v2/users').length;
    measure(`3 refresh periods of 2 sets with 4 members: ${userReads} user list reads, ${proxy.writes().length} Coder writes`);
    // Two sets, about three refreshes each, one page each (4 users < the page size).
    expect(userReads).toBeGreaterThanOrEqual(4);
    expect(userReads).toBeLessThanOrEqual(8);
    expect(proxy.writes()).toEqual([]);
    const writes = Object.fromEntries(Object.entries(diffCounts(before, after)).filter(([k]) => operatorWritable(k)));
    expect(writes).toEqual({});
  });

  it('a user who stops matching loses nothing under createUpdate and is orphaned under createDelete', async () => {
    const before = await coderWorkspace(names.u1, `gone-${names.u1}`);
    await suspend(names.u1);
    const gone = await waitSet(team, 'gone', 'three members', (s) => s.status.members === 3 && s.status.children === 3, 60_000);
    expect([...(await childrenOf(team, gone)).keys()]).not.toContain(`gone-${names.u1}`);
    // Orphaned: the Workspace is deleted, the Coder workspace is not (deletionPolicy defaults to Orphan).
    const orphan = await coderWorkspace(names.u1, `gone-${names.u1}`);
    expect(orphan?.id).toBe(before.id);
    expect(orphan.latest_build.transition).not.toBe('delete');
    expect(proxy.writes().filter((c) => c.method === 'DELETE' || c.path.endsWith('/builds'))).toEqual([]);

    const fleet = await waitSet(team, 'fleet', 'three members', (s) => s.status.members === 3, 60_000);
    expect([...(await childrenOf(team, fleet)).keys()]).toContain(`fleet-${names.u1}`);
    expect(fleet.status.children).toBe(4);
    expect((await coderWorkspace(names.u1, `fleet-${names.u1}`))?.owner_name).toBe(names.u1);
    const notes = (await setEvents(team, 'fleet')).filter((e) => e.reason === 'MemberLeft').map((e) => e.note);
    expect(notes).toEqual([`${names.u1} left: Workspace fleet-${names.u1} kept (syncPolicy createUpdate never removes a child)`]);
    const goneNotes = (await setEvents(team, 'gone')).filter((e) => e.reason === 'MemberLeft').map((e) => e.note);
    expect(goneNotes).toEqual([
      `${names.u1} left: deleted Workspace gone-${names.u1} (syncPolicy createDelete); its Coder workspace is kept in Coder (deletionPolicy Orphan)`,
    ]);
  });

  it('a mass removal holds everything still until acknowledged', async () => {
    // Two members leave at once (one spec edit): maxRemovals is 1.
    await apply(
      set('gone', {
        syncPolicy: 'createDelete',
        maxRemovals: 1,
        generators: [{ users: { query: `${prefix} status:active`, exclude: [names.u2, names.u3] } }],
      }),
    );
    const held = await waitSet(team, 'gone', 'removals held', (s) => condition(s, 'Stalled')?.reason === 'TooManyRemovals', 60_000);
    expect(condition(held, 'Synced')).toMatchObject({ status: 'False', reason: 'TooManyRemovals' });
    expect(condition(held, 'Ready')?.status).toBe('False');
    // Held whole: the two stay, and a user who joins meanwhile gets nothing yet.
    await createUser(names.u5);
    await new Promise((r) => setTimeout(r, 2 * REFRESH_MS));
    const still = await childrenOf(team, await getSet(team, 'gone'));
    expect([...still.keys()].sort()).toEqual([`gone-${names.u2}`, `gone-${names.u3}`, `gone-${names.u4}`].sort());
    expect(await coderWorkspace(names.u5, `gone-${names.u5}`)).toBeUndefined();

    const value = acknowledgement(held)!;
    expect(value).toBeTruthy();
    await kubectlOk([
      'annotate',
      'workspacesets.coderops.dev',
      'gone',
      '-n',
      team,
      `coderops.dev/acknowledge-removals=${value}`,
      '--overwrite',
    ]);
    const done = await waitSet(
      team,
      'gone',
      'acknowledged removal applied',
      (s) => s.status.children === 2 && condition(s, 'Stalled') === undefined,
      60_000,
    );
    expect([...(await childrenOf(team, done)).keys()].sort()).toEqual([`gone-${names.u4}`, `gone-${names.u5}`].sort());
    await eventually(`coderd has gone-${names.u5}`, () => coderWorkspace(names.u5, `gone-${names.u5}`), 60_000);
    // Orphaned, not deleted, in Coder.
    expect((await coderWorkspace(names.u2, `gone-${names.u2}`))?.latest_build.transition).not.toBe('delete');
  });

  it('a generator error (groups without the Premium feature) holds everything still, with a clear condition', async () => {
    const before = await childrenOf(team, await getSet(team, 'fleet'));
    // The edit adds a group generator and would also drop a member: neither happens.
    await apply(
      set('fleet', {
        syncPolicy: 'createDelete',
        maxRemovals: 10,
        generators: [{ users: { query: `${prefix} status:active`, exclude: [names.u4] } }, { group: { name: 'developers' } }],
      }),
    );
    const failed = await waitSet(team, 'fleet', 'generator failed', (s) => condition(s, 'Synced')?.status === 'False', 60_000);
    expect(condition(failed, 'Synced')?.reason).toBe('GroupsUnavailable');
    expect(condition(failed, 'Stalled')).toMatchObject({ status: 'True', reason: 'GroupsUnavailable' });
    expect(condition(failed, 'Synced')?.message).toMatch(/Premium|groups/i);
    await new Promise((r) => setTimeout(r, 2 * REFRESH_MS));
    const after = await childrenOf(team, await getSet(team, 'fleet'));
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    // What the set writes to a child (its spec, labels, annotations; a spec write moves the
    // generation) is unchanged. Not the resourceVersion: the Workspace reconciler may still
    // write a child's status (a build finishing, lastUsedAt), which is not the set's write.
    const written = (ws: { metadata: { generation?: number; labels?: object; annotations?: object }; spec: unknown }) => ({
      generation: ws.metadata.generation,
      labels: ws.metadata.labels,
      annotations: ws.metadata.annotations,
      spec: ws.spec,
    });
    for (const [name, ws] of after) expect(written(ws), name).toEqual(written(before.get(name)));
    const warnings = (await setEvents(team, 'fleet')).filter((e) => e.type === 'Warning' && e.reason === 'GroupsUnavailable');
    expect(warnings).toHaveLength(1);
  });
});
