// The operator against a misbehaving Coder: 20 seeded phases over 200+
// Workspaces, each phase with its own fault seed (5xx before and after the
// commit, requests stalled past the client's 1 s timeout that commit after it
// gave up, dropped connections before and after the commit, 2 s latency
// spikes, 429 bursts with Retry-After: 1) and its own seeded change of the
// specs. After every phase the cluster and Coder must converge: every
// declared field in Coder, exactly one Coder workspace per declaration, the
// same one as before (nothing deleted or replaced), no 429 from Coder's real
// limiter, and no refused write sent again inside the Retry-After of the
// injected 429 it read (by the simulator's clock). Then, faults off, two whole
// resyncs change nothing in Coder or Kubernetes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultOptions } from '../../src/coder-sim/types.ts';
import {
  apply,
  eventually,
  measure,
  setUpOperatorEnv,
  snapshot,
  workspace,
  type OperatorEnv,
  type OperatorProcess,
} from './operator-harness.ts';
import {
  between,
  coderMismatches,
  liveFor,
  liveWorkspaces,
  OWNERS,
  pick,
  prng,
  realLimiter429s,
  retryAfterViolations,
  seededSim,
  waitConverged,
  type Declared,
} from './seeded.ts';

const WORKSPACES = 200;
const SEEDS = Array.from({ length: 20 }, (_, i) => 101 + i);
const STALL_MS = 1_500;
const SPIKE_MS = 2_000;
const CODER_TIMEOUT_MS = 1_000;
const RETRY_AFTER_S = 1;
const RESYNC_MS = 4_000;
/** Every kind of fault the simulator has, each phase under its own seed. */
const faults = (seed: number): FaultOptions => ({
  seed,
  errorRate: 0.03,
  errorAfterCommitRate: 0.02,
  stallRate: 0.05,
  stallMs: STALL_MS,
  dropRate: 0.02,
  dropAfterCommitRate: 0.02,
  latencySpikeMs: SPIKE_MS,
  latencySpikeRate: 0.02,
  rateLimitBurst: { every: 40, length: 3, retryAfterSeconds: RETRY_AFTER_S },
});

const TTLS = ['1h', '2h', '3h', '4h', '6h', '90m', '10h', '12h'];
const CRONS = ['0 8 * * 1-5', '30 7 * * 1-5', '15 9 * * *', '0 6 * * 1,3,5'];
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York'];

let env: OperatorEnv;
let op: OperatorProcess;
let ns: string;
const declared = new Map<string, Declared>();
/** Declaration -> the Coder workspace id it was bound to when it first converged. */
const ids = new Map<string, string>();

beforeAll(async () => {
  env = await setUpOperatorEnv({ sim: seededSim() });
  ns = env.teams[0]!;
  op = await env.start({ name: 'faults', coderTimeout: `${CODER_TIMEOUT_MS}ms`, resync: `${RESYNC_MS / 1000}s` });
}, 60_000);

afterAll(async () => {
  await env?.close();
});

function toObject(d: Declared): object {
  return workspace(ns, d.name, { template: 'docker', ...d.spec });
}

function freshSpec(rand: () => number, i: number): Declared['spec'] {
  return {
    owner: OWNERS[i % OWNERS.length]!,
    ttl: pick(rand, TTLS),
    automaticUpdates: rand() < 0.5 ? 'always' : 'never',
    ...(rand() < 0.4 ? { autostart: { schedule: pick(rand, CRONS), timezone: pick(rand, ZONES) } } : {}),
  };
}

/** A workspace someone made in Coder by hand before it was declared: the operator must adopt it. */
function preexisting(d: Declared): string {
  return env.sim.state.addWorkspace({
    owner: d.spec.owner,
    name: d.name,
    template: 'docker',
    ttl_ms: 24 * 3600_000,
    automatic_updates: 'never',
  }).id;
}

/** A seeded change of the specs; returns what it changed, for the log. */
function mutate(rand: () => number, seed: number): { changed: Declared[]; text: string } {
  const changed = new Set<Declared>();
  const counts = { ttl: 0, autostart: 0, automaticUpdates: 0, dormant: 0, added: 0, adopted: 0 };
  const all = [...declared.values()];
  // A seeded share of the Workspaces, between 5 and 20 %, gets one or two new values.
  const share = 0.05 + rand() * 0.15;
  for (const d of all) {
    if (rand() >= share) continue;
    for (let k = between(rand, 1, 2); k > 0; k -= 1) {
      const field = pick(rand, ['ttl', 'ttl', 'autostart', 'automaticUpdates', 'dormant'] as const);
      if (field === 'ttl')
        d.spec.ttl = pick(
          rand,
          TTLS.filter((t) => t !== d.spec.ttl),
        );
      if (field === 'autostart') d.spec.autostart = { schedule: pick(rand, CRONS), timezone: pick(rand, ZONES) };
      if (field === 'automaticUpdates') d.spec.automaticUpdates = d.spec.automaticUpdates === 'always' ? 'never' : 'always';
      if (field === 'dormant') d.spec.dormant = !d.spec.dormant;
      counts[field] += 1;
    }
    changed.add(d);
  }
  // Every other phase, a few new Workspaces, one of which already exists in Coder.
  for (let n = seed % 2 ? between(rand, 1, 3) : 0, j = 0; j < n; j += 1) {
    const d: Declared = { name: `ws-s${seed}-${j}`, spec: freshSpec(rand, declared.size) };
    declared.set(d.name, d);
    changed.add(d);
    counts.added += 1;
    if (j === 0) {
      ids.set(d.name, preexisting(d));
      counts.adopted += 1;
    }
  }
  return { changed: [...changed], text: JSON.stringify(counts) };
}

/** What the phase met, per fault kind (a latency spike is a call the simulator held 2 s), and what the client sent. */
function phaseCalls(): { text: string; byFault: Record<string, number> } {
  const byFault: Record<string, number> = {};
  for (const c of env.sim.calls) {
    const kind = c.fault ?? ((c.heldMs ?? 0) >= SPIKE_MS ? 'spike' : undefined);
    if (kind) byFault[kind] = (byFault[kind] ?? 0) + 1;
  }
  const writes = env.sim.calls.filter((c) => c.method !== 'GET').length;
  return { byFault, text: `${env.sim.calls.length} Coder calls (${writes} writes), faults ${JSON.stringify(byFault)}` };
}

/** Refused writes whose retry the Retry-After check looked at, over all phases: it must not be vacuous. */
let retriesChecked = 0;

function checkPhase(seed: number, items: any[]): void {
  const why = `fault seed ${seed}`;
  // Zero duplicates: one live Coder workspace per declaration and none besides.
  const live = liveWorkspaces(env.sim);
  expect(live.length, `${why}: live Coder workspaces`).toBe(declared.size);
  expect(env.sim.state.workspaces.size, `${why}: Coder workspaces ever created or seeded (none extra, none deleted)`).toBe(declared.size);
  // Nothing replaced: each declaration is bound to the Coder workspace it was bound to first.
  for (const d of declared.values()) {
    const id = liveFor(env.sim, d)[0]!.id;
    if (!ids.has(d.name)) ids.set(d.name, id);
    expect(id, `${why}: ${d.name} kept its Coder workspace`).toBe(ids.get(d.name));
  }
  // And Kubernetes knows which one.
  const statusIds = Object.fromEntries(items.map((ws) => [ws.metadata.name, ws.status?.id]));
  expect(statusIds, `${why}: status.id of every Workspace`).toEqual(Object.fromEntries([...declared.keys()].map((n) => [n, ids.get(n)])));
  // The client's side of the rate limit.
  expect(
    realLimiter429s(env.sim).map((c) => `${c.method} ${c.path}`),
    `${why}: 429s from Coder's real limiter`,
  ).toEqual([]);
  const retries = retryAfterViolations(env.sim);
  retriesChecked += retries.checked;
  expect(retries.problems, `${why}: refused writes sent again inside their injected 429's Retry-After`).toEqual([]);
}

async function logLength(): Promise<number> {
  return (await op.logs()).split('\n').length;
}

/** The first resync the operator logs after line `from` of its log: its line and how many Workspaces it queued. */
async function nextResync(from: number): Promise<{ line: number; queued: number }> {
  return eventually(
    `a resync logged after line ${from}`,
    async () => {
      const lines = (await op.logs()).split('\n');
      for (let i = from; i < lines.length; i++) {
        const entry = parseLine(lines[i]!);
        if (entry?.msg === 'resync') return { line: i + 1, queued: Number(entry.queued) };
      }
      return undefined;
    },
    RESYNC_MS * 5,
    { everyMs: 250 },
  );
}

/** Until the work queue is empty and nothing is in flight, in two metrics samples (taken each second) in a row. */
async function queueIdle(): Promise<void> {
  let idleSamples = 0;
  await eventually(
    'an idle work queue',
    async () => {
      const text = await op.metrics();
      const idle = gauge(text, 'cwo_workqueue_depth') === 0 && gauge(text, 'cwo_workqueue_in_flight') === 0;
      idleSamples = idle ? idleSamples + 1 : 0;
      return idleSamples >= 2;
    },
    60_000,
    { everyMs: 1_100 },
  );
}

function gauge(metrics: string, name: string): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

describe(`${WORKSPACES} Workspaces, ${SEEDS.length} fault seeds`, () => {
  it('every phase converges: zero duplicates, zero lost updates, nothing deleted, Retry-After honoured', async () => {
    const started = Date.now();
    const met: Record<string, number> = {};
    for (const [phase, seed] of SEEDS.entries()) {
      const rand = prng(seed);
      let changed: Declared[];
      let text: string;
      if (phase === 0) {
        // The first phase creates all of them; a tenth already exist in Coder and are adopted.
        for (let i = 0; i < WORKSPACES; i += 1) declared.set(`ws-${i}`, { name: `ws-${i}`, spec: freshSpec(rand, i) });
        const adopted = [...declared.values()].filter((_, i) => i % 10 === 3);
        for (const d of adopted) ids.set(d.name, preexisting(d));
        changed = [...declared.values()];
        text = `create ${WORKSPACES}, ${adopted.length} of them adopted`;
      } else {
        ({ changed, text } = mutate(rand, seed));
      }
      env.sim.resetCalls();
      env.sim.setFaults(faults(seed));
      const t0 = Date.now();
      await apply(...changed.map(toObject));
      const items = await waitConverged(env.sim, ns, [...declared.values()], `phase ${phase + 1}, fault seed ${seed}: convergence`, 90_000);
      const calls = phaseCalls();
      for (const [kind, n] of Object.entries(calls.byFault)) met[kind] = (met[kind] ?? 0) + n;
      measure(
        `faults phase ${phase + 1} seed ${seed}: ${text}; ${changed.length} applied -> converged in ${Date.now() - t0} ms; ${calls.text}`,
      );
      checkPhase(seed, items);
    }

    // Every kind of fault was met, in some phase, and the Retry-After check had refused writes to look at.
    expect(Object.keys(met).sort(), 'fault kinds the operator met').toEqual([
      'burst429',
      'drop',
      'drop-after-commit',
      'error',
      'error-after-commit',
      'spike',
      'stall',
    ]);
    expect(retriesChecked, 'refused writes sent again after an injected 429').toBeGreaterThan(0);

    // Late writes (a stalled request commits after the client gave up) must not undo anything. The
    // simulator holds requests with timers in this process, set before this one and shorter (a spike
    // and a stall together at most): when it fires, every held request has landed, however slow the machine.
    env.sim.setFaults({});
    await new Promise((r) => setTimeout(r, SPIKE_MS + STALL_MS + 500));
    expect(coderMismatches(env.sim, [...declared.values()]), 'after the last stalled request landed').toEqual([]);

    // And quiet: with everything converged and faults off, resyncs change nothing in Coder or in
    // Kubernetes. The window is two whole resyncs, by the operator's own log, and the work they
    // queued, not a guess at how long one takes: on a loaded machine a resync can run late.
    env.sim.resetCalls();
    const before = await snapshot(ns);
    const first = await nextResync(await logLength());
    const second = await nextResync(first.line);
    await queueIdle();
    const after = await snapshot(ns);
    const writes = env.sim.calls.filter((c) => c.method !== 'GET').map((c) => `${c.method} ${c.path}`);
    expect(writes, 'Coder writes in a quiet resync').toEqual([]);
    const queued = `the two resyncs queued ${first.queued} and ${second.queued} Workspaces`;
    expect(
      [...after.versions].filter(([k, v]) => before.versions.get(k) !== v).map(([k]) => k),
      `objects changed in a quiet resync (${queued})`,
    ).toEqual([]);
    expect(after.events - before.events, `new Events in a quiet resync (${queued})`).toBe(0);
    measure(
      `faults: ${declared.size} Workspaces, ${SEEDS.length} seeds, injected faults met ${JSON.stringify(met)}, ` +
        `all converged; file wall ${Date.now() - started} ms`,
    );
  }, 600_000);
});
