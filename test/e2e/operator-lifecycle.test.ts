// One Workspace's life under the running operator (issue 4, item 8): apply ->
// Ready, each editable field -> Coder, status and exactly one Event, idle
// resyncs writing nothing, invalid spec, a bad token, both deletion policies.
// Out-of-band changes in Coder: operator-drift.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimWorkspace } from '../../src/coder-sim/model.ts';
import { kubectl, kubectlOk } from './kubectl.ts';
import {
  apply,
  condition,
  connection,
  coderWrites,
  createsByName,
  eventsFor,
  eventually,
  getWorkspace,
  measure,
  setToken,
  waitFor,
  waitSettled,
  workspace,
  TEST_RESYNC_MS,
  type OperatorEnv,
  type OperatorProcess,
  setUpOperatorEnv,
} from './operator-harness.ts';

// One operator env per file, seeded and flagged for this file's cases; what every file shares is setUpOperatorEnv (operator-harness.ts).
let env: OperatorEnv;
let op: OperatorProcess;
let ns: string;

beforeAll(async () => {
  env = await setUpOperatorEnv({ sim: { allowRenames: true } });
  ns = env.teams[0]!;
  op = await env.start({ name: 'lifecycle' });
});

afterAll(async () => {
  if (op) process.stdout.write(`[e2e] operator log: ${op.logFile}\n`);
  await env?.close();
});

function live(owner: string, name: string): SimWorkspace | undefined {
  return env.sim.state.findLiveWorkspace(env.sim.state.findUser(owner)!.id, name);
}

/** Non-GET simulator calls on a route since the last reset. */
function writesTo(route: RegExp): number {
  return coderWrites(env.sim).filter((c) => route.test(`${c.method} ${c.route}`)).length;
}

/** Waits for one more Event than `before`, then checks that no second one follows. */
async function expectOneNewEvent(name: string, before: number): Promise<any> {
  const events = await eventually(
    'an Event',
    async () => {
      const list = await eventsFor(ns, name);
      return list.length > before ? list : undefined;
    },
    10_000,
  );
  await new Promise((r) => setTimeout(r, 1_000));
  const after = await eventsFor(ns, name);
  expect(after.map((e) => `${e.reason}: ${e.note}`).slice(before), 'exactly one new Event').toHaveLength(1);
  return events[before];
}

describe('operator lifecycle', () => {
  it('kubectl apply -> Ready within seconds; the workspace exists in Coder; a Created Event; no finalizer (Orphan)', async () => {
    const started = Date.now();
    await apply(workspace(ns, 'dev', { owner: 'alice', template: 'docker', ttl: '4h' }));
    await waitFor(ns, 'dev', 'condition=Ready', '20s');
    measure(`lifecycle: first apply -> Ready ${Date.now() - started} ms (kubectl apply + kubectl wait)`);
    const ws = await getWorkspace(ns, 'dev');
    const sim = live('alice', 'dev');
    expect(sim, 'workspace in the simulator').toBeDefined();
    expect(ws.status.id).toBe(sim!.id);
    expect(ws.status.observedGeneration).toBe(ws.metadata.generation);
    // deletionPolicy Orphan (the harness's --deletion-policy): deleting it needs no cleanup, so no finalizer.
    expect(ws.metadata.finalizers ?? []).not.toContain('coderops.dev/finalizer');
    expect(condition(ws, 'Synced')).toMatchObject({ status: 'True', reason: 'Created' });
    expect(sim!.ttlMs).toBe(4 * 3600_000);
    expect(createsByName(env.sim).get('dev')).toBe(1);
    const events = await eventsFor(ns, 'dev');
    expect(events.map((e) => e.reason)).toContain('Created');
  });

  const edits: Array<{ field: string; patch: object; route: RegExp; check: (s: SimWorkspace, status: any) => void }> = [
    {
      field: 'ttl',
      patch: { spec: { ttl: '8h' } },
      route: /^PUT .*\/ttl$/,
      check: (s, st) => {
        expect(s.ttlMs).toBe(8 * 3600_000);
        expect(st.ttl).toMatch(/^8h/);
      },
    },
    {
      field: 'autostart',
      patch: { spec: { autostart: { schedule: '30 9 * * 1-5', timezone: 'Europe/Berlin' } } },
      route: /^PUT .*\/autostart$/,
      check: (s, st) => {
        expect(s.autostartSchedule).toBe('CRON_TZ=Europe/Berlin 30 9 * * 1-5');
        expect(st.autostart).toBe(s.autostartSchedule);
        expect(st.nextAutostart).toBeTruthy();
      },
    },
    {
      field: 'name',
      patch: { spec: { name: 'dev-renamed' } },
      route: /^PATCH \/api\/v2\/workspaces\/\{workspace\}$/,
      check: (s, st) => {
        expect(s.name).toBe('dev-renamed');
        expect(st.name).toBe('dev-renamed');
      },
    },
    {
      field: 'favorite',
      patch: { spec: { favorite: true } },
      route: /^PUT .*\/favorite$/,
      check: (s, st) => {
        expect(s.favorite).toBe(true);
        expect(st.favorite).toBe(true);
      },
    },
    {
      field: 'dormant',
      patch: { spec: { dormant: true } },
      route: /^PUT .*\/dormant$/,
      check: (s, st) => {
        expect(s.dormantAt).not.toBeNull();
        expect(st.dormant).toBe(true);
      },
    },
  ];

  for (const edit of edits) {
    it(`edit ${edit.field}: Coder updated once, status updated, one Event`, async () => {
      const id = (await getWorkspace(ns, 'dev')).status.id as string;
      const eventsBefore = (await eventsFor(ns, 'dev')).length;
      env.sim.resetCalls();
      const started = Date.now();
      await kubectlOk(['patch', 'workspaces.coderops.dev', 'dev', '-n', ns, '--type=merge', '-p', JSON.stringify(edit.patch)]);
      const ws = await waitSettled(ns, 'dev', 'Updated');
      measure(`lifecycle: edit ${edit.field} -> settled ${Date.now() - started} ms`);
      edit.check(env.sim.state.mustWorkspace(id), ws.status);
      expect(writesTo(edit.route), `${edit.field}: writes ${JSON.stringify(coderWrites(env.sim))}`).toBe(1);
      // Nothing else changed in Coder (a favorite may first mint the owner's token).
      const others = coderWrites(env.sim).filter((c) => !edit.route.test(`${c.method} ${c.route}`) && !/\/keys\/tokens$/.test(c.route));
      expect(others).toEqual([]);
      const event = await expectOneNewEvent('dev', eventsBefore);
      expect(event.type).toBe('Normal');
    });
  }

  it('an invalid spec the CRD admits (unknown time zone) -> InvalidSpec naming the field, no Coder call', async () => {
    env.sim.resetCalls();
    const ran = await kubectl(['apply', '-f', '-'], {
      stdin: JSON.stringify(
        workspace(ns, 'badtz', {
          owner: 'alice',
          template: 'docker',
          autostart: { schedule: '0 9 * * 1-5', timezone: 'Mars/Olympus_Mons' },
        }),
      ),
    });
    expect(ran.code, `the apiserver admits it: ${ran.stderr}`).toBe(0);
    const ws = await eventually(
      'InvalidSpec',
      async () => {
        const w = await getWorkspace(ns, 'badtz');
        return condition(w, 'Ready')?.reason === 'InvalidSpec' || condition(w, 'Synced')?.reason === 'InvalidSpec' ? w : undefined;
      },
      15_000,
    );
    expect(condition(ws, 'Ready')?.status).toBe('False');
    const invalid = [condition(ws, 'Ready'), condition(ws, 'Synced')].find((c) => c?.reason === 'InvalidSpec')!;
    expect(invalid.message).toMatch(/spec\.autostart\.timezone/);
    expect(createsByName(env.sim).get('badtz')).toBeUndefined();
    expect((await eventsFor(ns, 'badtz')).some((e) => e.type === 'Warning')).toBe(true);
  });

  it('idle resyncs write nothing: not for the fully edited workspace, not for the failing one', async () => {
    // Favorite is per-user in Coder: the admin's list does not show the owner's, so this catches a resync that
    // "corrects" it forever. Event series updates patch the Event, so resourceVersions are compared, not counts.
    const state = async (name: string) => ({
      ws: (await getWorkspace(ns, name)).metadata.resourceVersion as string,
      events: (await eventsFor(ns, name)).map((e) => `${e.reason}@${e.metadata.resourceVersion}`),
    });
    const before = { dev: await state('dev'), badtz: await state('badtz') };
    env.sim.resetCalls();
    await new Promise((r) => setTimeout(r, 2 * TEST_RESYNC_MS + 1_000));
    const after = { dev: await state('dev'), badtz: await state('badtz') };
    const lists = env.sim.calls.filter((c) => c.method === 'GET' && c.route === '/api/v2/workspaces').length;
    const seen = new Set([...before.dev.events, ...before.badtz.events]);
    const changedEvents = [...after.dev.events, ...after.badtz.events].filter((e) => !seen.has(e)).length;
    measure(
      `lifecycle: idle ${2 * TEST_RESYNC_MS + 1_000} ms (resync ${TEST_RESYNC_MS} ms) ` +
        'over an edited (renamed, favorite, dormant) and an InvalidSpec ' +
        `Workspace: Coder writes ${coderWrites(env.sim).length}, workspace lists ${lists}, ` +
        `status rewrites ${Number(after.dev.ws !== before.dev.ws) + Number(after.badtz.ws !== before.badtz.ws)}, ` +
        `Events new or patched ${changedEvents}`,
    );
    expect(lists, 'resyncs ran').toBeGreaterThanOrEqual(1);
    expect(coderWrites(env.sim)).toEqual([]);
    expect(after).toEqual(before);
  });

  it('a connection with a bad token -> ConnectionNotReady and no create; the fixed token -> Created', async () => {
    await apply(...connection(ns, env.sim.url, 'broken', 'bad-token'));
    // Well-formed (id-secret) but unknown to Coder: a 401, not a parse error.
    await setToken(ns, 'abcdefghij-0123456789abcdefghijkl', 'bad-token');
    env.sim.resetCalls();
    await apply(workspace(ns, 'nokey', { owner: 'alice', template: 'docker', connectionRef: { kind: 'CoderConnection', name: 'broken' } }));
    const ws = await eventually(
      'ConnectionNotReady',
      async () => {
        const w = await getWorkspace(ns, 'nokey');
        return condition(w, 'Ready')?.reason === 'ConnectionNotReady' ? w : undefined;
      },
      15_000,
    );
    expect(condition(ws, 'Ready')?.status).toBe('False');
    expect(condition(ws, 'Ready')?.message).toBeTruthy();
    expect(createsByName(env.sim).get('nokey')).toBeUndefined();
    const conn = JSON.parse(await kubectlOk(['get', 'coderconnections.coderops.dev', 'broken', '-n', ns, '-o', 'json']));
    expect(condition(conn, 'Ready')?.status).toBe('False');

    // The operator may not watch Secrets (GET only), so a fixed token is picked up on a recheck.
    const fixedAt = Date.now();
    await setToken(ns, env.sim.tokenFor('admin'), 'bad-token');
    await waitSettled(ns, 'nokey', 'Created', 40_000);
    measure(`lifecycle: token fixed in the Secret -> Ready ${Date.now() - fixedAt} ms`);
    expect(createsByName(env.sim).get('nokey')).toBe(1);
  });

  it('CoderConnection status: Ready, the server version, whether renames are allowed', async () => {
    const conn = JSON.parse(await kubectlOk(['get', 'coderconnections.coderops.dev', 'default', '-n', ns, '-o', 'json']));
    expect(condition(conn, 'Ready')?.status).toBe('True');
    expect(conn.status.version).toMatch(/^v\d+\.\d+/);
    expect(conn.status.renamesAllowed).toBe(true);
  });

  it('delete with deletionPolicy Delete: Coder workspace deleted, finalizer removed, resource gone', async () => {
    await apply(workspace(ns, 'del-delete', { owner: 'alice', template: 'docker', deletionPolicy: 'Delete' }));
    await waitSettled(ns, 'del-delete');
    const settled = await getWorkspace(ns, 'del-delete');
    expect(settled.metadata.finalizers).toContain('coderops.dev/finalizer');
    const id = settled.status.id as string;
    const started = Date.now();
    await kubectlOk(['delete', 'workspaces.coderops.dev', 'del-delete', '-n', ns, '--timeout=30s']);
    measure(`lifecycle: delete (policy Delete) -> resource gone ${Date.now() - started} ms`);
    expect(live('alice', 'del-delete')).toBeUndefined();
    expect(env.sim.state.latestBuildOf(id).transition).toBe('delete');
  });

  it('switched from Orphan to Delete: the finalizer is added, and deleting then deletes in Coder', async () => {
    await apply(workspace(ns, 'switch', { owner: 'alice', template: 'docker', deletionPolicy: 'Orphan' }));
    await waitSettled(ns, 'switch');
    expect((await getWorkspace(ns, 'switch')).metadata.finalizers ?? []).toEqual([]);
    await apply(workspace(ns, 'switch', { owner: 'alice', template: 'docker', deletionPolicy: 'Delete' }));
    await eventually(
      'the finalizer',
      async () => ((await getWorkspace(ns, 'switch')).metadata.finalizers ?? []).includes('coderops.dev/finalizer'),
      20_000,
    );
    const id = (await getWorkspace(ns, 'switch')).status.id as string;
    await kubectlOk(['delete', 'workspaces.coderops.dev', 'switch', '-n', ns, '--timeout=30s']);
    expect(live('alice', 'switch')).toBeUndefined();
    expect(env.sim.state.latestBuildOf(id).transition).toBe('delete');
  });

  it('delete with deletionPolicy Orphan: resource gone, Coder workspace stays', async () => {
    await apply(workspace(ns, 'del-orphan', { owner: 'alice', template: 'docker', deletionPolicy: 'Orphan' }));
    await waitSettled(ns, 'del-orphan');
    env.sim.resetCalls();
    await kubectlOk(['delete', 'workspaces.coderops.dev', 'del-orphan', '-n', ns, '--timeout=30s']);
    expect(live('alice', 'del-orphan')).toBeDefined();
    expect(coderWrites(env.sim).filter((c) => /builds$/.test(c.route))).toEqual([]);
  });
});
