// Two operator processes on one Lease (the chart's two replicas): only the
// leader reconciles; SIGTERM the leader while it is creating workspaces and
// the other takes over within the lease duration, and no Coder write happens
// twice (creates counted per workspace in the simulator).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, kubectlOk } from './kubectl.ts';
import {
  apply,
  coderWrites,
  createsByName,
  eventually,
  httpGetText,
  measure,
  setUpOperatorEnv,
  workspace,
  type OperatorEnv,
  type OperatorProcess,
} from './operator-harness.ts';

const LEASE_MS = 15_000;
let env: OperatorEnv;
let ns: string;
let a: OperatorProcess;
let b: OperatorProcess;

async function holder(): Promise<string> {
  const ran = await kubectl(['get', 'lease', env.leaseName, '-n', env.operatorNs, '-o', 'jsonpath={.spec.holderIdentity}']);
  return ran.code === 0 ? ran.stdout.trim() : '';
}

/** Sum of a series in a process's own /metrics, over the lines `keep` accepts. */
async function metricSum(p: OperatorProcess, name: string, keep: (line: string) => boolean = () => true): Promise<number> {
  let n = 0;
  for (const line of (await p.metrics()).split('\n')) {
    if ((line.startsWith(`${name}{`) || line.startsWith(`${name} `)) && keep(line)) n += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return n;
}

/** Coder requests a process made that change something. */
const coderWriteRequests = (p: OperatorProcess) => metricSum(p, 'cwo_coder_requests_total', (l) => !/method="(GET|HEAD)"/.test(l));

function many(prefix: string, n: number): object[] {
  return Array.from({ length: n }, (_, i) =>
    workspace(ns, `${prefix}-${i}`, { owner: i % 2 ? 'alice' : 'bob', template: 'docker', ttl: '5h' }),
  );
}

beforeAll(async () => {
  env = await setUpOperatorEnv();
  ns = env.teams[0]!;
  a = await env.start({ name: 'replica-a' });
  await eventually('replica-a holds the Lease', async () => (await holder()).startsWith('replica-a_'), 20_000);
  // The standby may or may not report ready (a choice of the operator); it must be alive.
  b = await env.start({ name: 'replica-b', waitReady: false });
  await eventually('replica-b alive', async () => (await httpGetText(`${b.probesUrl}/healthz`)).status === 200, 20_000);
});

afterAll(async () => {
  await env?.close();
});

describe('leader election with two operator processes', () => {
  it('only the leader reconciles', async () => {
    await apply(...many('one', 6));
    const waited = await kubectl(['wait', '--for=condition=Ready', '--all', '--timeout=60s', '-n', ns, 'workspaces.coderops.dev']);
    expect(waited.code, waited.stderr).toBe(0);
    expect((await holder()).startsWith('replica-a_')).toBe(true);
    expect(await coderWriteRequests(a), 'the leader wrote to Coder').toBeGreaterThanOrEqual(6);
    expect(await coderWriteRequests(b), 'the standby made no Coder write').toBe(0);
    expect(await metricSum(b, 'cwo_reconcile_total'), 'the standby reconciled nothing').toBe(0);
    expect(await metricSum(a, 'cwo_leader')).toBe(1);
    expect(await metricSum(b, 'cwo_leader')).toBe(0);
    for (let i = 0; i < 6; i += 1) expect(createsByName(env.sim).get(`one-${i}`)).toBe(1);
  });

  it('SIGTERM the leader mid-work: the other takes over within the lease duration, and no Coder write happens twice', async () => {
    // Slow Coder, so the leader is mid-way through the batch when it is told to stop.
    env.sim.setFaults({ latencyMs: 150 });
    env.sim.resetCalls();
    await apply(...many('two', 12));
    await eventually('the leader started creating', async () => createsByName(env.sim).size >= 3, 20_000, { everyMs: 20 });
    const termAt = Date.now();
    const createdAtTerm = createsByName(env.sim).size;
    const stopping = a.stop('SIGTERM');
    const newHolder = await eventually(
      'replica-b holds the Lease',
      async () => ((await holder()).startsWith('replica-b_') ? Date.now() : undefined),
      LEASE_MS + 5_000,
      { everyMs: 100 },
    );
    const exit = await stopping;
    const takeoverMs = newHolder - termAt;
    const createdAtTakeover = createsByName(env.sim).size;
    measure(
      `leader: SIGTERM -> replica-b holds the Lease after ${takeoverMs} ms (lease ${LEASE_MS} ms); ` +
        `old leader exited code=${exit.code} signal=${exit.signal}; ` +
        `creates of 12: ${createdAtTerm} at SIGTERM, ${createdAtTakeover} at takeover (in-flight ones finished by the old leader)`,
    );
    expect(exit.code, `replica-a exits cleanly on SIGTERM:\n${(await a.logs()).slice(-2000)}`).toBe(0);
    expect(takeoverMs).toBeLessThan(LEASE_MS);

    const waited = await kubectl(['wait', '--for=condition=Ready', '--all', '--timeout=90s', '-n', ns, 'workspaces.coderops.dev']);
    expect(waited.code, waited.stderr).toBe(0);
    env.sim.setFaults({});
    const creates = createsByName(env.sim);
    for (let i = 0; i < 12; i += 1) expect(creates.get(`two-${i}`), `create requests for two-${i}`).toBe(1);
    // Any other write, by method and path, at most once (owner tokens excepted: each process mints its own).
    const seen = new Map<string, number>();
    for (const w of coderWrites(env.sim)) {
      if (/\/keys/.test(w.route) || /\/workspaces$/.test(w.route)) continue;
      seen.set(`${w.method} ${w.path}`, (seen.get(`${w.method} ${w.path}`) ?? 0) + 1);
    }
    expect([...seen].filter(([, n]) => n > 1)).toEqual([]);
    const alive = [...env.sim.state.workspaces.values()].filter((w) => w.name.startsWith('two-'));
    expect(alive).toHaveLength(12);
    // The statuses name those very workspaces.
    const items = JSON.parse(await kubectlOk(['get', 'workspaces.coderops.dev', '-n', ns, '-o', 'json'])).items;
    for (const item of items.filter((w: any) => w.metadata.name.startsWith('two-'))) {
      expect(alive.map((w) => w.id)).toContain(item.status.id);
    }
  }, 120_000);

  it('the new leader serves new work', async () => {
    env.sim.resetCalls();
    const started = Date.now();
    await apply(workspace(ns, 'three', { owner: 'alice', template: 'docker' }));
    const waited = await kubectl(['wait', '--for=condition=Ready', '--timeout=30s', '-n', ns, 'workspaces.coderops.dev/three']);
    expect(waited.code, waited.stderr).toBe(0);
    measure(`leader: apply -> Ready on the new leader ${Date.now() - started} ms`);
    expect(createsByName(env.sim).get('three')).toBe(1);
    expect(await coderWriteRequests(b)).toBeGreaterThanOrEqual(1);
    expect(await metricSum(b, 'cwo_leader')).toBe(1);
  });
});
