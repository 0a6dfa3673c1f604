// Sharding by label (issue 14 item 1) on the real control plane: four
// operator processes, each with its own --watch-label-selector and its own
// Lease (three shards, `coderops.dev/shard=shard-X`, and the main instance,
// `!coderops.dev/shard`), Workspaces labelled across them. Every Workspace is
// created by exactly one process, the one its label names (the Created
// Event's reportingInstance, the create count in the simulator); a relabel, made while both shards are
// busy creating others, hands a Workspace over with no write for it at all,
// and its next edit is applied once, by the new shard; a
// SIGKILLed shard's Workspaces wait for it and converge once it is back,
// while the other shards go on serving theirs.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, kubectlOk } from './kubectl.ts';
import {
  apply,
  coderWrites,
  createsByName,
  eventsFor,
  eventually,
  getWorkspace,
  setUpOperatorEnv,
  waitSettled,
  workspace,
  measure,
  type OperatorEnv,
  type OperatorProcess,
} from './operator-harness.ts';

const LABEL = 'coderops.dev/shard';
const SHARDS = ['shard-a', 'shard-b', 'shard-c'] as const;
// The chart's timings, as the leader test uses: four processes beside other work on 2 cores lost
// a 5 s renew deadline (the apiserver took longer than that to answer a Lease update).
const LEASE = { duration: '15s', renewDeadline: '10s', retryPeriod: '2s' };
const PER_SHARD = 4;

let env: OperatorEnv;
let ns: string;
/** By the name its Workspaces' prefix and label use: main, shard-a, shard-b, shard-c. */
const procs = new Map<string, OperatorProcess>();

const selectorOf = (owner: string) => (owner === 'main' ? `!${LABEL}` : `${LABEL}=${owner}`);
const prefixOf = (owner: string) => (owner === 'main' ? 'm' : owner.slice(-1));

function labelled(name: string, owner: string, spec: Record<string, unknown> = {}): object {
  const ws = workspace(ns, name, { owner: name.length % 2 ? 'alice' : 'bob', template: 'docker', ...spec }) as {
    metadata: Record<string, unknown>;
  };
  if (owner !== 'main') ws.metadata.labels = { [LABEL]: owner };
  return ws;
}

/** Incarnations started so far per owner: a restart is named `<owner>-r<n>`. */
const incarnations = new Map<string, number>();
/** Every process started per owner, with when it was started. */
const history = new Map<string, Array<{ p: OperatorProcess; startedAt: number }>>();

/**
 * Starts the owner's operator and, as the kubelet does for a Deployment's Pod, starts it
 * again when it exits after losing its Lease (client-go's rule, src/cli/run-operator.ts):
 * on a 2-core machine shared with other work the apiserver has taken longer than the
 * renew deadline to answer. A SIGKILL (the test's own) is not followed by a restart.
 */
async function start(owner: string): Promise<OperatorProcess> {
  const n = incarnations.get(owner) ?? 0;
  incarnations.set(owner, n + 1);
  const startedAt = Date.now();
  // Four processes start beside other work on 2 cores: /readyz may take well over the harness's 30 s.
  const p = await env.start({
    name: n === 0 ? owner : `${owner}-r${n}`,
    watchLabelSelector: selectorOf(owner),
    leaseName: 'derived',
    lease: LEASE,
    readyTimeoutMs: 120_000,
  });
  procs.set(owner, p);
  history.set(owner, [...(history.get(owner) ?? []), { p, startedAt }]);
  void p.exited.then((e) => {
    if (e.code === 1 && procs.get(owner) === p)
      start(owner).catch((error: unknown) => process.stdout.write(`[shards] could not restart ${owner}: ${String(error)}\n`));
  });
  return p;
}

/** Whether a Lease holder or an Event's reportingInstance is one of the owner's processes. */
const isOf = (owner: string, identity: string) => new RegExp(`^${owner}(-r\\d+)?_`).test(identity);

/** Lease name -> holder identity, for the Leases in the operator namespace. */
async function leases(): Promise<Map<string, string>> {
  const list = JSON.parse(await kubectlOk(['get', 'leases', '-n', env.operatorNs, '-o', 'json']));
  return new Map(list.items.map((l: any) => [l.metadata.name, l.spec?.holderIdentity ?? '']));
}

/** Resync passes an owner's current process logged after `since` (ms): each is one full look at its Workspaces. */
async function resyncsSince(owner: string, since: number): Promise<number> {
  return (await procs.get(owner)!.logs())
    .split('\n')
    .filter((l) => l.includes('"msg":"resync"') && Number(/"time":(\d+)/.exec(l)?.[1]) > since).length;
}

/** Waits until each owner's operator has run `n` resyncs since now: each has looked at everything since. */
async function afterResyncs(owners: string[], n = 2): Promise<void> {
  const since = Date.now();
  await eventually(
    `${n} resyncs on ${owners.join(', ')}`,
    async () => (await Promise.all(owners.map((o) => resyncsSince(o, since)))).every((c) => c >= n),
    120_000,
    { everyMs: 250 },
  );
}

async function createdBy(name: string): Promise<string[]> {
  return (await eventsFor(ns, name)).filter((e) => e.reason === 'Created').map((e) => String(e.reportingInstance));
}

beforeAll(async () => {
  env = await setUpOperatorEnv();
  ns = env.teams[0]!;
  for (const owner of ['main', ...SHARDS]) await start(owner);
  // Each instance leads its own Lease (its standby replicas would wait on it).
  await eventually(
    'each process holds a Lease of its own',
    async () => {
      const holders = [...(await leases()).values()];
      return ['main', ...SHARDS].every((o) => holders.filter((h) => isOf(o, h)).length === 1);
    },
    60_000,
    { everyMs: 250 },
  );
}, 540_000);

afterAll(async () => {
  await env?.close();
});

describe('sharding by label, one Lease per shard', () => {
  it('a selector the apiserver would refuse stops the operator at start-up, with the reason', async () => {
    const cli = resolve(import.meta.dirname, '../../src/cli/main.ts');
    const ran = await new Promise<{ code: number | null; stderr: string }>((done) => {
      const child = execFile(process.execPath, [cli, 'run', `--watch-label-selector=${LABEL}=a b`], { timeout: 60_000 }, (_, __, stderr) =>
        done({ code: child.exitCode, stderr }),
      );
    });
    expect(ran.stderr).toContain(`invalid label selector "${LABEL}=a b"`);
    expect(ran.stderr).toContain('e.g. coderops.dev/shard=shard1');
    expect(ran.code).not.toBe(0);
  });

  it('every Workspace is created by exactly one process: the one its label names', async () => {
    const owners = ['main', ...SHARDS];
    const all = owners.flatMap((o) => Array.from({ length: PER_SHARD }, (_, i) => labelled(`${prefixOf(o)}-${i}`, o)));
    const started = Date.now();
    await apply(...all);
    const waited = await kubectl(['wait', '--for=condition=Ready', '--all', '--timeout=120s', '-n', ns, 'workspaces.coderops.dev']);
    expect(waited.code, waited.stderr).toBe(0);
    measure(`shards: ${all.length} Workspaces over main + ${SHARDS.length} shards, apply -> all Ready ${Date.now() - started} ms`);
    const creates = createsByName(env.sim);
    for (const o of owners) {
      for (let i = 0; i < PER_SHARD; i++) {
        const name = `${prefixOf(o)}-${i}`;
        expect(creates.get(name), `create requests for ${name}`).toBe(1);
        const by = await createdBy(name);
        expect(by, `the Created Event of ${name} names ${o}`).toHaveLength(1);
        expect(isOf(o, by[0]!), `${name} created by ${by[0]}, not ${o}`).toBe(true);
      }
    }
  }, 180_000);

  it('a relabel hands the Workspace over with no write, and its next edit is applied once, by the new shard', async () => {
    env.sim.resetCalls();
    // Mid-run: both shards are busy creating other Workspaces when a-0 (settled) changes hands.
    const busy = ['shard-a', 'shard-b'].flatMap((o) => [0, 1, 2].map((i) => labelled(`${prefixOf(o)}-busy-${i}`, o)));
    await apply(...busy);
    const relabelledAt = Date.now();
    await kubectlOk(['label', '--overwrite', '-n', ns, 'workspaces.coderops.dev/a-0', `${LABEL}=shard-b`]);
    const relabelled = await getWorkspace(ns, 'a-0');
    const id = relabelled.status.id;
    await eventually(
      'shard-a lets go of a-0',
      async () => {
        for (const { p, startedAt } of history.get('shard-a')!) {
          // A shard-a restarted after the relabel never had a-0 to let go of.
          if (startedAt > relabelledAt) return true;
          const log = await p.logs();
          if (log.split('\n').some((l) => l.includes('workspace left the cache') && l.includes(`"${ns}/a-0"`))) return true;
        }
        return false;
      },
      60_000,
      { everyMs: 250 },
    );
    // Both shards have looked at everything since: neither wrote a-0, in Kubernetes or in Coder.
    const waited = await kubectl([
      'wait',
      '--for=condition=Ready',
      '--timeout=120s',
      '-n',
      ns,
      ...busy.map((w: any) => `workspaces.coderops.dev/${w.metadata.name}`),
    ]);
    expect(waited.code, waited.stderr).toBe(0);
    await afterResyncs(['shard-a', 'shard-b']);
    const after = await getWorkspace(ns, 'a-0');
    expect(after.metadata.resourceVersion, 'no status rewrite by either shard').toBe(relabelled.metadata.resourceVersion);
    expect(after.metadata.finalizers ?? [], 'nothing removed or added').toEqual(relabelled.metadata.finalizers ?? []);
    expect(
      coderWrites(env.sim).filter((w) => w.path.includes(id)),
      'no Coder write for a-0 on handover',
    ).toEqual([]);
    expect(createsByName(env.sim).get('a-0'), 'and no create').toBeUndefined();
    expect(env.sim.state.workspaces.get(id)?.name).toBe('a-0');
    // Meanwhile the busy ones were each created once, each by its own shard.
    for (const w of busy as any[]) {
      const name: string = w.metadata.name;
      expect(createsByName(env.sim).get(name), name).toBe(1);
      const by = await createdBy(name);
      expect(by.length === 1 && isOf(name.startsWith('a-') ? 'shard-a' : 'shard-b', by[0]!), `${name} created by ${by}`).toBe(true);
    }

    const edited = Date.now();
    await apply(labelled('a-0', 'shard-b', { ttl: '3h' }));
    const settled = await waitSettled(ns, 'a-0', 'Updated', 60_000);
    measure(`shards: edit after a relabel -> Synced on the new shard ${Date.now() - edited} ms`);
    expect(settled.status.id, 'the same Coder workspace, bound by status.id').toBe(id);
    const ttlWrites = coderWrites(env.sim).filter((w) => w.path.includes(id));
    expect(
      ttlWrites.map((w) => w.route),
      'one TTL write',
    ).toEqual(['/api/v2/workspaces/{workspace}/ttl']);
    // Written by shard-b, not by shard-a: the one Updated Event names it.
    const updated = (await eventsFor(ns, 'a-0')).filter((e) => e.reason === 'Updated').map((e) => String(e.reportingInstance));
    expect(updated.length === 1 && isOf('shard-b', updated[0]!), `Updated by ${updated}`).toBe(true);
  }, 180_000);

  it('a SIGKILLed shard: its Workspaces wait and converge once it is back; the other shards are unaffected', async () => {
    const c = procs.get('shard-c')!;
    const holdersBefore = await leases();
    const exit = await c.stop('SIGKILL');
    expect(exit.signal).toBe('SIGKILL');
    env.sim.resetCalls();

    await apply(labelled('c-new-0', 'shard-c'), labelled('c-new-1', 'shard-c'), labelled('c-0', 'shard-c', { ttl: '2h' }));
    await apply(labelled('a-new-0', 'shard-a'));
    // Another shard serves new work while shard-c is down...
    await waitSettled(ns, 'a-new-0', 'Created', 60_000);
    // ...and no one touched shard-c's: no status, no create, the edit not applied.
    for (const name of ['c-new-0', 'c-new-1']) expect((await getWorkspace(ns, name)).status, name).toBeUndefined();
    expect(createsByName(env.sim).get('c-new-0')).toBeUndefined();
    const c0 = await getWorkspace(ns, 'c-0');
    expect(c0.status.observedGeneration).toBeLessThan(c0.metadata.generation);

    const restarted = Date.now();
    await start('shard-c');
    for (const name of ['c-new-0', 'c-new-1']) await waitSettled(ns, name, 'Created', 90_000);
    await waitSettled(ns, 'c-0', 'Updated', 90_000);
    measure(`shards: SIGKILLed shard restarted -> its Workspaces converged ${Date.now() - restarted} ms (lease ${LEASE.duration})`);

    const creates = createsByName(env.sim);
    expect([...creates.entries()].sort()).toEqual([
      ['a-new-0', 1],
      ['c-new-0', 1],
      ['c-new-1', 1],
    ]);
    const c0Writes = coderWrites(env.sim).filter((w) => w.path.includes(c0.status.id));
    expect(
      c0Writes.map((w) => w.route),
      'the edit made while shard-c was down: written once',
    ).toEqual(['/api/v2/workspaces/{workspace}/ttl']);
    const holders = await leases();
    for (const o of ['main', 'shard-a', 'shard-b']) {
      const name = [...holdersBefore].find(([, h]) => isOf(o, h))![0];
      expect(isOf(o, holders.get(name)!), `${o} still holds its own Lease`).toBe(true);
    }
    const cLease = [...holdersBefore].find(([, h]) => isOf('shard-c', h))![0];
    expect(isOf('shard-c', holders.get(cLease)!)).toBe(true);
    expect(holders.get(cLease), 'the new shard-c process took its Lease over').not.toBe(holdersBefore.get(cLease));
  }, 360_000);
});
