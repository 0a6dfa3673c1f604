// Sharding by label (issue 14 item 1) on the real control plane: four
// operator processes, each with its own --watch-label-selector and its own
// Lease (three shards, `coderops.dev/shard=shard-X`, and the main instance,
// `!coderops.dev/shard`), Workspaces labelled across them. Every Workspace is
// created by exactly one process, the one its label names (the Created
// Event's reportingInstance, the create count in the simulator, each
// process's own Coder write count); a relabel, made while both shards are
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

function start(owner: string): Promise<OperatorProcess> {
  // Four processes start on a shared 2-core machine: /readyz may take well over the harness's 30 s.
  return env.start({ name: owner, watchLabelSelector: selectorOf(owner), leaseName: 'derived', lease: LEASE, readyTimeoutMs: 120_000 });
}

/** Sum of a series in a process's own /metrics, over the lines `keep` accepts. */
async function metricSum(p: OperatorProcess, name: string, keep: (line: string) => boolean = () => true): Promise<number> {
  let n = 0;
  for (const line of (await p.metrics()).split('\n'))
    if ((line.startsWith(`${name}{`) || line.startsWith(`${name} `)) && keep(line)) n += Number(line.slice(line.lastIndexOf(' ') + 1));
  return n;
}

const coderWriteRequests = (p: OperatorProcess) => metricSum(p, 'cwo_coder_requests_total', (l) => !/method="(GET|HEAD)"/.test(l));

/** Lease name -> holder identity, for the Leases in the operator namespace. */
async function leases(): Promise<Map<string, string>> {
  const list = JSON.parse(await kubectlOk(['get', 'leases', '-n', env.operatorNs, '-o', 'json']));
  return new Map(list.items.map((l: any) => [l.metadata.name, l.spec?.holderIdentity ?? '']));
}

/** How many resync passes a process has logged: each is one full look at its Workspaces. */
async function resyncs(p: OperatorProcess): Promise<number> {
  return (await p.logs()).split('\n').filter((l) => l.includes('"msg":"resync"')).length;
}

/** Waits until every given process has run `n` more resyncs than it had: each has looked at everything since. */
async function afterResyncs(ps: OperatorProcess[], n = 2): Promise<void> {
  const before = await Promise.all(ps.map(resyncs));
  await eventually(
    `${n} more resyncs on ${ps.map((p) => p.name).join(', ')}`,
    async () => {
      const now = await Promise.all(ps.map(resyncs));
      return now.every((c, i) => c >= before[i]! + n);
    },
    60_000,
    { everyMs: 250 },
  );
}

async function createdBy(name: string): Promise<string[]> {
  return (await eventsFor(ns, name)).filter((e) => e.reason === 'Created').map((e) => String(e.reportingInstance));
}

beforeAll(async () => {
  env = await setUpOperatorEnv();
  ns = env.teams[0]!;
  for (const owner of ['main', ...SHARDS]) procs.set(owner, await start(owner));
  // Each instance leads its own Lease (its standby replicas would wait on it).
  await eventually(
    'each process holds a Lease of its own',
    async () => {
      const holders = [...(await leases()).values()];
      return ['main', ...SHARDS].every((o) => holders.filter((h) => h.startsWith(`${o}_`)).length === 1);
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
        expect(by[0]!.startsWith(`${o}_`), `${name} created by ${by[0]}, not ${o}`).toBe(true);
      }
      // Each process wrote to Coder for its own Workspaces only: one create each.
      expect(await coderWriteRequests(procs.get(o)!), `Coder writes by ${o}`).toBe(PER_SHARD);
    }
  }, 180_000);

  it('a relabel hands the Workspace over with no write, and its next edit is applied once, by the new shard', async () => {
    const [a, b] = [procs.get('shard-a')!, procs.get('shard-b')!];
    const [aWrites, bWrites] = [await coderWriteRequests(a), await coderWriteRequests(b)];
    env.sim.resetCalls();
    // Mid-run: both shards are busy creating other Workspaces when a-0 (settled) changes hands.
    const busy = ['shard-a', 'shard-b'].flatMap((o) => [0, 1, 2].map((i) => labelled(`${prefixOf(o)}-busy-${i}`, o)));
    await apply(...busy);
    await kubectlOk(['label', '--overwrite', '-n', ns, 'workspaces.coderops.dev/a-0', `${LABEL}=shard-b`]);
    const relabelled = await getWorkspace(ns, 'a-0');
    const id = relabelled.status.id;
    await eventually(
      'shard-a lets go of a-0',
      async () => (await a.logs()).split('\n').some((l) => l.includes('workspace left the cache') && l.includes(`"${ns}/a-0"`)),
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
    await afterResyncs([a, b]);
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
    for (const w of busy as any[]) expect(createsByName(env.sim).get(w.metadata.name), w.metadata.name).toBe(1);
    const [aNow, bNow] = [await coderWriteRequests(a), await coderWriteRequests(b)];
    expect([aNow - aWrites, bNow - bWrites], 'creates by shard-a, shard-b').toEqual([3, 3]);

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
    expect(await coderWriteRequests(b), 'written by shard-b').toBe(bNow + 1);
    expect(await coderWriteRequests(a), 'not by shard-a').toBe(aNow);
    const updated = (await eventsFor(ns, 'a-0')).filter((e) => e.reason === 'Updated');
    expect(updated.map((e) => String(e.reportingInstance).split('_')[0])).toEqual(['shard-b']);
  }, 180_000);

  it('a SIGKILLed shard: its Workspaces wait and converge once it is back; the other shards are unaffected', async () => {
    const c = procs.get('shard-c')!;
    const others = ['main', 'shard-a', 'shard-b'].map((o) => procs.get(o)!);
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
    const back = await start('shard-c');
    procs.set('shard-c', back);
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
      const name = [...holdersBefore].find(([, h]) => h.startsWith(`${o}_`))![0];
      expect(holders.get(name), `${o} kept its Lease throughout`).toBe(holdersBefore.get(name));
    }
    const cLease = [...holdersBefore].find(([, h]) => h.startsWith('shard-c_'))![0];
    expect(holders.get(cLease)!.startsWith('shard-c_')).toBe(true);
    expect(holders.get(cLease), 'the new shard-c process took its Lease over').not.toBe(holdersBefore.get(cLease));
    for (const p of others) expect(p.child.exitCode, `${p.name} still running`).toBeNull();
  }, 360_000);
});
