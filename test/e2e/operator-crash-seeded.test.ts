// SIGKILL at seeded random points. A leader and a warm standby run under short
// Lease timings; a seeded PRNG picks each kill: on the k-th Coder write the
// leader makes (a create, a settings write, a delete build; the kill lands
// after Coder committed it and before the operator reads the answer), or
// some milliseconds into its leadership (anywhere: a Kubernetes write, a
// finalizer, a status patch). The standby takes over once the Lease expires
// and a fresh standby is started, so every kill is a restart. Scenarios:
// creates (some adopting workspaces that already exist), updates, and
// deletions with mixed Delete/Orphan policies, then more update rounds until
// at least 30 kills. In the end: every Workspace converged, zero duplicates
// (one create request per name, one live Coder workspace per declaration),
// the Delete-policy Workspaces deleted in Kubernetes gone from Coder, the
// Orphan ones still there, nothing else deleted, and no Workspace stuck on
// its finalizer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedCall } from '../../src/coder-sim/index.ts';
import { isWorkspaceDeleted } from '../../src/coder-sim/lifecycle.ts';
import { kubectl, kubectlOk } from './kubectl.ts';
import {
  apply,
  createsByName,
  eventually,
  measure,
  setUpOperatorEnv,
  workspace,
  type OperatorEnv,
  type OperatorProcess,
} from './operator-harness.ts';
import { between, isWrite, liveFor, onCall, OWNERS, pick, prng, seededSim, waitConverged, type Declared } from './seeded.ts';

const SEED = 20261123;
const MIN_KILLS = 30;
const COUNT = 24;
// Short, so each kill of the leader costs little waiting for expiry; not shorter than a loaded
// 2-core machine can renew in (1.5 s lost the lease in a run beside the unit tier).
const LEASE = { duration: '4s', renewDeadline: '3s', retryPeriod: '500ms' };
const TTLS = ['1h', '2h', '3h', '5h', '90m', '11h'];
const CRONS = ['0 8 * * 1-5', '45 6 * * *', '0 7 * * 2,4'];

let env: OperatorEnv;
let ns: string;
let leader: OperatorProcess;
let standby: OperatorProcess;
let spawned = 0;
/** Two streams: the specs replay exactly whatever the timing; the kill points follow the seed in kill order. */
const rand = prng(SEED);
const killRand = prng(SEED ^ 0x5bd1e995);
const kills: string[] = [];
const declared = new Map<string, Declared>();
const ids = new Map<string, string>();

/** Declarations that adopt a workspace already in Coder; their owners follow spec(i)'s rule. */
const ADOPTED = [4, 9];

beforeAll(async () => {
  env = await setUpOperatorEnv({ sim: seededSim(300) });
  ns = env.teams[0]!;
  // In Coder before any operator starts, so every operator's first list has them. Added later, a
  // snapshot listed just before (younger than its 3 s staleness) would not, and the create would
  // reach Coder and be answered 409 (then adopted): safe, but not the "no create request" asked below.
  for (const i of ADOPTED) {
    const name = `cr-${i}`;
    ids.set(name, env.sim.state.addWorkspace({ owner: OWNERS[i % OWNERS.length]!, name, template: 'docker', ttl_ms: 24 * 3600_000 }).id);
  }
  leader = await spawn();
  await eventually('the first operator leads', async () => (await leaseHolder()).startsWith(`${leader.name}_`), 20_000, { everyMs: 100 });
  standby = await spawn();
}, 60_000);

afterAll(async () => {
  await env?.close();
});

function spawn(): Promise<OperatorProcess> {
  spawned += 1;
  // Only the first waits for /readyz; a standby's start overlaps the work.
  return env.start({ name: `crash-${spawned}`, lease: LEASE, waitReady: spawned === 1 });
}

async function leaseHolder(): Promise<string> {
  const ran = await kubectl(['get', 'lease', env.leaseName, '-n', env.operatorNs, '-o', 'jsonpath={.spec.holderIdentity}']);
  return ran.code === 0 ? ran.stdout.trim() : '';
}

/**
 * Arms one seeded kill of the current leader: on its k-th Coder write, or
 * `ms` after now. With `focus`, always on its k-th write of that kind (the
 * creates, the delete builds), so each scenario kills where it matters.
 * `fired` describes the kill once it happened.
 */
function armKill(
  label: string,
  focus?: (c: RecordedCall) => boolean,
  writesOnly = false,
): { fired: () => string | undefined; disarm: () => void } {
  const victim = leader;
  let fired: string | undefined;
  const kill = (how: string) => {
    if (fired !== undefined) return;
    victim.child.kill('SIGKILL');
    fired = `${label}: ${how}`;
  };
  if (focus || writesOnly || killRand() < 0.7) {
    const k = between(killRand, 1, focus ? 2 : 3);
    let writes = 0;
    const off = onCall(env.sim, (c) => {
      if (!isWrite(c) || (focus && !focus(c))) return;
      writes += 1;
      if (writes === k) kill(`on write #${k} (${c.method} ${c.route})`);
    });
    return { fired: () => fired, disarm: off };
  }
  const ms = between(killRand, 50, 1_500);
  const timer = setTimeout(() => kill(`${ms} ms into its leadership`), ms);
  return { fired: () => fired, disarm: () => clearTimeout(timer) };
}

/**
 * A new process replaces the dead one; once the Lease expires, the standby or
 * the newcomer (whose first look at the Lease may already find it expired)
 * leads, and the other stands by.
 */
async function takeOver(): Promise<void> {
  const fresh = await spawn();
  const both = [standby, fresh];
  const holder = await eventually(
    `${standby.name} or ${fresh.name} takes the Lease`,
    async () => {
      const h = await leaseHolder();
      return both.find((p) => h.startsWith(`${p.name}_`));
    },
    20_000,
    { everyMs: 100 },
  );
  leader = holder;
  standby = both.find((p) => p !== holder)!;
}

/**
 * Makes a change, and kills and restarts the leader at seeded points (the
 * first kill armed before the change) until the declarations have converged;
 * no more kills once `killBudget` kills have happened in the whole file.
 */
async function killUntilConverged(
  label: string,
  change: () => Promise<unknown>,
  o: { deleted?: readonly string[]; killBudget?: number; focus?: (c: RecordedCall) => boolean; writesOnly?: boolean } = {},
): Promise<number> {
  const { deleted = [], killBudget = Infinity, focus, writesOnly = false } = o;
  const started = Date.now();
  let n = 0;
  const current = () => [...declared.values()];
  for (let first = true; ; first = false) {
    // Every other kill of a focused scenario lands anywhere, so restarts also meet the other writes.
    const trap =
      kills.length < killBudget
        ? armKill(label, n % 2 ? undefined : focus, writesOnly)
        : { fired: () => undefined, disarm: () => undefined };
    if (first) await change();
    let converged = false;
    while (trap.fired() === undefined && !converged && Date.now() - started < 90_000) {
      await new Promise((r) => setTimeout(r, 300));
      converged = await waitConverged(env.sim, ns, current(), '', 0).then(
        () => true,
        () => false,
      );
    }
    trap.disarm();
    const how = trap.fired();
    if (how === undefined) break; // converged, or out of time: the check below says which
    kills.push(how);
    n += 1;
    await takeOver();
  }
  // Once more, with the full story if anything is still off.
  await waitConverged(env.sim, ns, current(), `${label}, seed ${SEED}: convergence`, 30_000);
  measure(`crash-seeded ${label}: ${n} kills, converged ${Date.now() - started} ms after the change (deleted: ${deleted.length})`);
  return n;
}

function spec(i: number): Declared['spec'] {
  return {
    owner: OWNERS[i % OWNERS.length]!,
    ttl: pick(rand, TTLS),
    automaticUpdates: rand() < 0.5 ? 'always' : 'never',
    deletionPolicy: i % 2 ? 'Delete' : 'Orphan',
    ...(rand() < 0.5 ? { autostart: { schedule: pick(rand, CRONS), timezone: 'Europe/Berlin' } } : {}),
  };
}

const isCreate = (c: RecordedCall) => c.method === 'POST' && c.route === '/api/v2/users/{user}/workspaces';
const isDeleteBuild = (c: RecordedCall) =>
  c.method === 'POST' && c.route.endsWith('/builds') && (c.requestBody as { transition?: string })?.transition === 'delete';
const toObject = (d: Declared) => workspace(ns, d.name, { template: 'docker', ...d.spec });

function updateRound(round: number): Declared[] {
  const changed: Declared[] = [];
  for (const d of declared.values()) {
    if (rand() < 0.4) continue;
    d.spec.ttl = pick(
      rand,
      TTLS.filter((t) => t !== d.spec.ttl),
    );
    if (rand() < 0.5) d.spec.autostart = { schedule: pick(rand, CRONS), timezone: pick(rand, ['UTC', 'Asia/Tokyo']) };
    if (rand() < 0.3) d.spec.automaticUpdates = d.spec.automaticUpdates === 'always' ? 'never' : 'always';
    if (rand() < 0.2) d.spec.dormant = !d.spec.dormant;
    changed.push(d);
  }
  if (changed.length === 0) throw new Error(`seed ${SEED}: update round ${round} changed nothing`);
  return changed;
}

function expectIdsStable(why: string): void {
  for (const d of declared.values()) {
    const live = liveFor(env.sim, d);
    expect(
      live.map((w) => w.id),
      `seed ${SEED}, ${why}: ${d.name}'s Coder workspace`,
    ).toEqual([ids.get(d.name) ?? live[0]?.id]);
    if (!ids.has(d.name)) ids.set(d.name, live[0]!.id);
  }
}

describe(`SIGKILL at seeded points (seed ${SEED}), at least ${MIN_KILLS} kills`, () => {
  it('converges after every restart: no duplicates, exactly the Delete-policy deletions, no stuck finalizers', async () => {
    const started = Date.now();
    // Creates: two of them already exist in Coder (added in beforeAll) and are adopted.
    for (let i = 0; i < COUNT; i += 1) declared.set(`cr-${i}`, { name: `cr-${i}`, spec: spec(i) });
    for (const i of ADOPTED) expect(declared.get(`cr-${i}`)!.spec.owner, `cr-${i}'s owner`).toBe(OWNERS[i % OWNERS.length]);
    await killUntilConverged('creates', () => apply(...[...declared.values()].map(toObject)), { focus: isCreate });
    expectIdsStable('after the creates');

    await killUntilConverged('updates 1', () => apply(...updateRound(1).map(toObject)));
    expectIdsStable('after updates 1');

    // Deletions in two rounds, each a seeded third of what is left, both policies; updates between them.
    const deleteIds: string[] = [];
    const orphans: Declared[] = [];
    for (const round of [1, 2]) {
      const gone = [...declared.values()].filter(() => rand() < 0.35);
      deleteIds.push(...gone.filter((d) => d.spec.deletionPolicy === 'Delete').map((d) => ids.get(d.name)!));
      orphans.push(...gone.filter((d) => d.spec.deletionPolicy === 'Orphan'));
      for (const d of gone) declared.delete(d.name);
      const remove = () => kubectlOk(['delete', 'workspaces.coderops.dev', '-n', ns, '--wait=false', ...gone.map((d) => d.name)]);
      await killUntilConverged(`deletions ${round}`, remove, { deleted: gone.map((d) => d.name), focus: isDeleteBuild });
      if (round === 1) await killUntilConverged('updates 2', () => apply(...updateRound(2).map(toObject)));
    }
    expect(deleteIds.length * orphans.length, `seed ${SEED}: both policies among the deleted`).toBeGreaterThan(0);

    // More updates until the kill count is reached. Only kills on writes here: a
    // time-offset kill can come after a fast operator has already converged,
    // and then the round ends without one.
    for (let round = 3; kills.length < MIN_KILLS; round += 1) {
      expect(round, `seed ${SEED}: kills so far ${kills.length}`).toBeLessThan(20);
      await killUntilConverged(`updates ${round}`, () => apply(...updateRound(round).map(toObject)), {
        killBudget: MIN_KILLS + 2,
        writesOnly: true,
      });
      expectIdsStable(`after updates ${round}`);
    }

    // A moment for any late write, then the verdict.
    await new Promise((r) => setTimeout(r, 1_000));
    await waitConverged(env.sim, ns, [...declared.values()], `seed ${SEED}: final convergence`, 30_000);
    expectIdsStable('at the end');
    const creates = createsByName(env.sim);
    for (const name of new Set([...ids.keys(), ...creates.keys()])) {
      const adopted = ADOPTED.some((i) => name === `cr-${i}`);
      expect(creates.get(name) ?? 0, `seed ${SEED}: create requests for ${name}`).toBe(adopted ? 0 : 1);
    }
    const now = env.sim.state.now();
    const deletedInCoder = [...env.sim.state.workspaces.values()].filter((w) => isWorkspaceDeleted(w, now)).map((w) => w.id);
    expect(deletedInCoder.sort(), `seed ${SEED}: deleted in Coder: exactly the Delete-policy Workspaces deleted in Kubernetes`).toEqual(
      [...deleteIds].sort(),
    );
    for (const d of orphans)
      expect(
        liveFor(env.sim, d).map((w) => w.id),
        `seed ${SEED}: orphaned ${d.name} kept`,
      ).toEqual([ids.get(d.name)]);
    expect(env.sim.state.workspaces.size, `seed ${SEED}: Coder workspaces ever (no duplicate was ever made)`).toBe(ids.size);
    const left = JSON.parse(await kubectlOk(['get', 'workspaces.coderops.dev', '-n', ns, '-o', 'json'])).items;
    expect(
      left.filter((w: any) => w.metadata.deletionTimestamp).map((w: any) => w.metadata.name),
      'stuck on the finalizer',
    ).toEqual([]);
    expect(kills.length).toBeGreaterThanOrEqual(MIN_KILLS);
    const where: Record<string, number> = {};
    for (const k of kills) {
      const at = /\((\S+ \S+)\)$/.exec(k)?.[1] ?? 'at a time offset';
      where[at] = (where[at] ?? 0) + 1;
    }
    measure(
      `crash-seeded: seed ${SEED}, ${kills.length} SIGKILLs ${JSON.stringify(where)}, ${spawned} processes, ` +
        `${ids.size} Workspaces; file wall ${Date.now() - started} ms`,
    );
  }, 400_000);
});
