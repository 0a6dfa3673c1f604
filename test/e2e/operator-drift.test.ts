// Changes made in Coder behind the operator's back (the Coder UI, another
// admin): corrected on the next resync and reported in status.lastDrift; a
// workspace deleted in Coder is created again; deletion still works when
// Coder already lost the workspace; the --deletion-policy flag decides for
// specs that do not say.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimWorkspace } from '../../src/coder-sim/model.ts';
import { kubectlOk } from './kubectl.ts';
import {
  apply,
  coderWrites,
  createsByName,
  eventsFor,
  eventually,
  getWorkspace,
  measure,
  setUpOperatorEnv,
  waitSettled,
  workspace,
  TEST_RESYNC,
  type OperatorEnv,
  type OperatorProcess,
} from './operator-harness.ts';

// One operator env per file, seeded and flagged for this file's cases; what every file shares is setUpOperatorEnv (operator-harness.ts).
let env: OperatorEnv;
let op: OperatorProcess;
let ns: string;

beforeAll(async () => {
  env = await setUpOperatorEnv({ sim: { allowRenames: true } });
  ns = env.teams[0]!;
  op = await env.start({ name: 'drift' });
});

afterAll(async () => {
  await env?.close();
});

function live(owner: string, name: string): SimWorkspace | undefined {
  return env.sim.state.findLiveWorkspace(env.sim.state.findUser(owner)!.id, name);
}

function writesTo(route: RegExp): number {
  return coderWrites(env.sim).filter((c) => route.test(`${c.method} ${c.route}`)).length;
}

describe('out-of-band changes in Coder', () => {
  it(`a change made in Coder out of band is corrected on resync (${TEST_RESYNC}) and reported in status.lastDrift`, async () => {
    await apply(workspace(ns, 'drift', { owner: 'bob', template: 'kubernetes', ttl: '2h' }));
    await waitSettled(ns, 'drift');
    const id = (await getWorkspace(ns, 'drift')).status.id as string;
    env.sim.resetCalls();
    const changedAt = Date.now();
    env.sim.state.setTtl(id, 30 * 60_000);
    await eventually('the TTL set back', async () => env.sim.state.mustWorkspace(id).ttlMs === 2 * 3600_000, 20_000);
    measure(`drift: out-of-band TTL change corrected after ${Date.now() - changedAt} ms (resync ${TEST_RESYNC})`);
    expect(writesTo(/^PUT .*\/ttl$/)).toBe(1);
    const ws = await eventually(
      'status.lastDrift',
      async () => {
        const w = await getWorkspace(ns, 'drift');
        return (w.status.lastDrift ?? []).length > 0 ? w : undefined;
      },
      10_000,
    );
    expect(ws.status.lastDrift.join(' ')).toMatch(/ttl/i);
    expect(ws.status.ttl).toMatch(/^2h/);
  });

  it('several out-of-band changes at once (rename, autostart off) are all corrected and all listed in lastDrift', async () => {
    await apply(workspace(ns, 'drift2', { owner: 'bob', template: 'docker', autostart: { schedule: '0 7 * * 1-5' } }));
    await waitSettled(ns, 'drift2');
    const id = (await getWorkspace(ns, 'drift2')).status.id as string;
    const schedule = env.sim.state.mustWorkspace(id).autostartSchedule;
    env.sim.resetCalls();
    env.sim.state.renameWorkspace(id, 'someone-else-named-it');
    env.sim.state.setAutostart(id, null);
    await eventually(
      'both set back',
      async () => {
        const s = env.sim.state.mustWorkspace(id);
        return s.name === 'drift2' && s.autostartSchedule === schedule;
      },
      20_000,
    );
    const ws = await eventually(
      'lastDrift with both fields',
      async () => {
        const w = await getWorkspace(ns, 'drift2');
        const drift = (w.status.lastDrift ?? []).join(' ');
        return /name/i.test(drift) && /autostart/i.test(drift) ? w : undefined;
      },
      10_000,
    );
    expect(ws.status.name).toBe('drift2');
    expect(writesTo(/^PATCH \/api\/v2\/workspaces\/\{workspace\}$/)).toBe(1);
    expect(writesTo(/^PUT .*\/autostart$/)).toBe(1);
    expect(createsByName(env.sim).get('drift2')).toBeUndefined();
  });
  it('a workspace deleted in Coder is created again on resync, with a Recreated Event', async () => {
    await apply(workspace(ns, 'phoenix', { owner: 'alice', template: 'docker', ttl: '1h' }));
    await waitSettled(ns, 'phoenix');
    const oldId = (await getWorkspace(ns, 'phoenix')).status.id as string;
    env.sim.resetCalls();
    const deletedAt = Date.now();
    env.sim.state.deleteWorkspace(oldId);
    const again = await eventually('a new workspace', async () => live('alice', 'phoenix'), 20_000);
    const ws = await eventually(
      'status names the new one',
      async () => {
        const w = await getWorkspace(ns, 'phoenix');
        return w.status.id === again.id && w.status.observedGeneration === w.metadata.generation ? w : undefined;
      },
      15_000,
    );
    measure(`drift: deleted in Coder -> recreated and in status ${Date.now() - deletedAt} ms (resync ${TEST_RESYNC})`);
    expect(ws.status.id).not.toBe(oldId);
    expect(createsByName(env.sim).get('phoenix')).toBe(1);
    expect(again.ttlMs).toBe(3600_000);
    expect((await eventsFor(ns, 'phoenix')).map((e) => e.reason)).toContain('Recreated');
  });

  it('deletionPolicy Delete when Coder already lost the workspace: the resource still goes away', async () => {
    await apply(workspace(ns, 'gone', { owner: 'bob', template: 'docker', deletionPolicy: 'Delete' }));
    await waitSettled(ns, 'gone');
    env.sim.state.deleteWorkspace((await getWorkspace(ns, 'gone')).status.id as string);
    await kubectlOk(['delete', 'workspaces.coderops.dev', 'gone', '-n', ns, '--timeout=30s']);
    expect(live('bob', 'gone')).toBeUndefined();
  });

  it('the --deletion-policy flag decides for a spec that does not say (Delete)', async () => {
    // SIGTERM releases the Lease, so the next process leads at once.
    expect((await op.stop('SIGTERM')).code).toBe(0);
    op = await env.start({ name: 'drift-delete-flag', deletionPolicy: 'Delete' });
    await apply(workspace(ns, 'by-flag', { owner: 'alice', template: 'docker' }));
    await waitSettled(ns, 'by-flag', undefined, 30_000);
    const id = (await getWorkspace(ns, 'by-flag')).status.id as string;
    await kubectlOk(['delete', 'workspaces.coderops.dev', 'by-flag', '-n', ns, '--timeout=30s']);
    expect(live('alice', 'by-flag')).toBeUndefined();
    expect(env.sim.state.latestBuildOf(id).transition).toBe('delete');
  });
});
