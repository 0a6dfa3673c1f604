// Figures for the "Done when": apply -> Ready (median of 20), and an
// idle resync over 100 unchanged Workspaces, which must write nothing to
// Coder and nothing to Kubernetes. Timings are printed, counts asserted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl } from './kubectl.ts';
import {
  apiserverWrites,
  apply,
  coderWrites,
  createsByName,
  diffCounts,
  operatorWritable,
  measure,
  median,
  setUpOperatorEnv,
  snapshot,
  waitFor,
  workspace,
  type OperatorEnv,
  type OperatorProcess,
} from './operator-harness.ts';

const RESYNC_MS = 3_000;
const COUNT = 100;
let env: OperatorEnv;
let op: OperatorProcess;

beforeAll(async () => {
  // Two teams: the latency runs in one, the 100 idle Workspaces in the other.
  env = await setUpOperatorEnv({ teams: 2, sim: { buildDurationMs: 100 } });
  op = await env.start({ name: 'scale', resync: `${RESYNC_MS / 1000}s` });
});

afterAll(async () => {
  await env?.close();
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('operator figures', () => {
  it('kubectl apply -> Ready: median of 20 runs', async () => {
    const ns = env.teams[0]!;
    const times: number[] = [];
    const synced: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      const started = performance.now();
      await apply(workspace(ns, `lat-${i}`, { owner: i % 2 ? 'alice' : 'bob', template: 'docker', ttl: '2h' }));
      // Synced=True: created in Coder; Ready=True: and its first build finished.
      await waitFor(ns, `lat-${i}`, 'condition=Synced', '30s');
      synced.push(performance.now() - started);
      await waitFor(ns, `lat-${i}`, 'condition=Ready', '30s');
      times.push(performance.now() - started);
    }
    // What kubectl itself costs (two process starts and round trips), to read the figure against.
    const overhead: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const started = performance.now();
      await kubectl(['get', 'workspaces.coderops.dev', 'lat-0', '-n', ns, '-o', 'name']);
      overhead.push(performance.now() - started);
    }
    const fmt = (n: number) => `${Math.round(n)} ms`;
    measure(
      `apply -> Ready, median of 20: ${fmt(median(times))} (min ${fmt(Math.min(...times))}, max ${fmt(Math.max(...times))}; ` +
        `wall clock of kubectl apply + kubectl wait; apply -> Synced median ${fmt(median(synced))}; ` +
        `one kubectl call alone: median ${fmt(median(overhead))})`,
    );
    for (let i = 0; i < 20; i += 1) expect(createsByName(env.sim).get(`lat-${i}`)).toBe(1);
    expect(median(times)).toBeLessThan(10_000);
  }, 120_000);

  it(`an idle resync over ${COUNT} unchanged Workspaces makes zero Coder writes and zero Kubernetes writes`, async () => {
    const ns = env.teams[1]!;
    const objects = Array.from({ length: COUNT }, (_, i) =>
      workspace(ns, `idle-${i}`, {
        owner: i % 2 ? 'alice' : 'bob',
        template: i % 3 ? 'docker' : 'kubernetes',
        ttl: `${1 + (i % 8)}h`,
        ...(i % 4 === 0 ? { autostart: { schedule: '0 8 * * 1-5', timezone: 'Europe/Paris' } } : {}),
      }),
    );
    const started = performance.now();
    await apply(...objects);
    const waited = await kubectl(['wait', '--for=condition=Ready', '--all', '--timeout=120s', '-n', ns, 'workspaces.coderops.dev']);
    expect(waited.code, waited.stderr).toBe(0);
    measure(`${COUNT} Workspaces applied at once -> all Ready in ${Math.round(performance.now() - started)} ms`);

    // Quiet: two snapshots a resync apart must be equal before we start counting.
    let quiet = false;
    for (let tries = 0; tries < 6 && !quiet; tries += 1) {
      const a = await snapshot(ns);
      await sleep(RESYNC_MS + 500);
      const b = await snapshot(ns);
      quiet = a.events === b.events && JSON.stringify([...a.versions]) === JSON.stringify([...b.versions]);
    }
    expect(quiet, 'the Workspaces settle').toBe(true);

    const windowMs = 2 * RESYNC_MS + 1_000;
    const w = await countWrites(ns, () => sleep(windowMs));
    measure(
      `idle resync over ${COUNT} Workspaces (+20 idle in another namespace), ${windowMs} ms window, resync ${RESYNC_MS} ms: ${w.text}`,
    );
    expect(w.lists, 'a resync ran in the window (a workspace list)').toBeGreaterThanOrEqual(1);
    expectNoWrites(w);
    // The snapshot is a paginated list per connection, not a call per workspace.
    expect(w.perWorkspace).toBe(0);
  }, 200_000);

  it(`a restart over the same unchanged Workspaces writes nothing either`, async () => {
    const ns = env.teams[1]!;
    const w = await countWrites(ns, async () => {
      // SIGTERM releases the Lease, so the new process leads at once and does its initial sync of everything.
      expect((await op.stop('SIGTERM')).code).toBe(0);
      op = await env.start({ name: 'scale-restarted', resync: `${RESYNC_MS / 1000}s` });
      await sleep(RESYNC_MS + 1_000);
    });
    measure(`restart over ${COUNT} + 20 unchanged Workspaces (initial sync + a resync): ${w.text}`);
    expect(w.lists).toBeGreaterThanOrEqual(1);
    expectNoWrites(w);
  }, 60_000);
});

interface Writes {
  coder: ReturnType<typeof coderWrites>;
  k8s: Record<string, number>;
  changed: string[];
  newEvents: number;
  lists: number;
  perWorkspace: number;
  text: string;
}

/** Coder writes (simulator), Kubernetes writes (apiserver counter), changed objects and new Events while `during` runs. */
async function countWrites(ns: string, during: () => Promise<void>): Promise<Writes> {
  env.sim.resetCalls();
  const k8sBefore = await apiserverWrites();
  const snapBefore = await snapshot(ns);
  await during();
  const coder = coderWrites(env.sim);
  const all = diffCounts(k8sBefore, await apiserverWrites());
  const k8s = Object.fromEntries(Object.entries(all).filter(([k]) => operatorWritable(k)));
  const others = Object.fromEntries(Object.entries(all).filter(([k]) => !operatorWritable(k)));
  const snapAfter = await snapshot(ns);
  const reads = env.sim.calls.filter((c) => c.method === 'GET');
  const lists = reads.filter((c) => c.route === '/api/v2/workspaces').length;
  const perWorkspace = reads.filter(
    (c) => c.route.startsWith('/api/v2/workspaces/{workspace}') || c.route.includes('{workspacename}'),
  ).length;
  const changed = [...snapAfter.versions].filter(([k, v]) => snapBefore.versions.get(k) !== v).map(([k]) => k);
  const newEvents = snapAfter.events - snapBefore.events;
  const k8sWrites = Object.values(k8s).reduce((a, b) => a + b, 0);
  const text =
    `Coder writes ${coder.length}, Kubernetes writes ${k8sWrites} ${JSON.stringify(k8s)} ` +
    `(apiserver request counter, resources the operator may write; Lease renewals and other actors' ${JSON.stringify(others)} excluded), ` +
    `objects changed ${changed.length}, new Events ${newEvents}; ` +
    `Coder reads ${reads.length} (workspace lists ${lists}, per-workspace reads ${perWorkspace})`;
  return { coder, k8s, changed, newEvents, lists, perWorkspace, text };
}

function expectNoWrites(w: Writes): void {
  expect(w.coder).toEqual([]);
  expect(w.k8s).toEqual({});
  expect(w.changed).toEqual([]);
  expect(w.newEvents).toBe(0);
}
