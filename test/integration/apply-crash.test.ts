// `cwo apply` SIGKILLed at seeded points (issue 6): right after Coder
// committed a create, a settings write or a delete build and before the CLI
// saw the answer, or at a random moment. Restarted, it must converge with no
// duplicate, delete exactly the pruned Delete-policy workspaces and nothing
// else, leave undeclared workspaces alone, and never leave a half-written
// state file.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type ExpectStatic } from 'vitest';
import type { RecordedCall } from '../../src/coder-sim/index.ts';
import { createRandom, type Random } from '../../src/coder-sim/random.ts';
import { readState } from '../../src/gitops/state.ts';
import {
  declarationProblems,
  fleetFiles,
  makeFleet,
  pick,
  randomSpec,
  recordsFor,
  snapshot,
  untouchedProblems,
  type Declaration,
  type Snapshot,
} from './convergence.ts';
import { spawnCli, startHarness, type Harness } from './harness.ts';

const SCENARIOS = [31_337, 27_182, 16_180, 14_142];
/** Kills per phase; two phases per scenario, so 56 over the file. */
const KILLS_PER_PHASE = 7;
/** A hang guard, not a measure: a scenario is some 50 CLI runs, each slower on a loaded machine. */
const SCENARIO_TIMEOUT_MS = 600_000;
const DECLARED = 48;
const UNDECLARED = 8;
const ENV = { NODE_COMPILE_CACHE: join(tmpdir(), 'cwo-it-compile-cache') };
const CREATE_ROUTE = '/api/v2/users/{user}/workspaces';
const BUILD_ROUTE = '/api/v2/workspaces/{workspace}/builds';

type KillPoint = { kind: 'write' | 'create' | 'delete' | 'call'; nth: number } | { kind: 'time'; ms: number };

function matches(kind: KillPoint['kind'], c: RecordedCall): boolean {
  if (kind === 'call') return true;
  if (kind === 'write') return c.method !== 'GET';
  if (kind === 'create') return c.method === 'POST' && c.route === CREATE_ROUTE;
  return c.method === 'POST' && c.route === BUILD_ROUTE && (c.requestBody as { transition?: string }).transition === 'delete';
}

/**
 * Where to kill the next run. `quietCalls` is set once a run found nothing
 * left to do and says how many calls such a run makes: from then on only a
 * call or a moment can be hit, and a call kill always lands.
 */
function killPoint(random: Random, deletesLeft: boolean, quietCalls: number | undefined): KillPoint {
  const kinds =
    quietCalls !== undefined
      ? (['call', 'call', 'time'] as const)
      : deletesLeft
        ? (['write', 'create', 'delete', 'delete', 'call', 'time'] as const)
        : (['write', 'create', 'call', 'time'] as const);
  const kind = pick(random, kinds);
  if (kind === 'time') return { kind, ms: 50 + Math.floor(random() * 700) };
  const most = kind === 'call' ? Math.min(12, quietCalls ?? 12) : kind === 'delete' ? 2 : 4;
  return { kind, nth: 1 + Math.floor(random() * most) };
}

class Scenario {
  readonly h: Harness;
  readonly random: Random;
  /** Set while a run is armed: the simulator records a call after committing it and before answering. */
  private trap: { point: KillPoint; seen: number; kill: () => void } | undefined;

  readonly seed: number;
  private readonly expect: ExpectStatic;

  constructor(seed: number, h: Harness, expect: ExpectStatic) {
    this.seed = seed;
    this.expect = expect;
    this.h = h;
    this.random = createRandom(seed ^ 0x6b11);
    const calls = h.sim.calls;
    const push = calls.push.bind(calls);
    calls.push = (...items: RecordedCall[]) => {
      for (const c of items) {
        const t = this.trap;
        if (t && t.point.kind !== 'time' && matches(t.point.kind, c) && ++t.seen === t.point.nth) t.kill();
      }
      return push(...items);
    };
  }

  async write(declarations: readonly Declaration[]): Promise<void> {
    const dir = join(this.h.dir, 'decl');
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir);
    for (const [file, text] of fleetFiles(declarations)) await writeFile(join(dir, file), text);
  }

  /** One apply; killed at `point` if it gets there. Returns whether it was killed. */
  async apply(prune: boolean, point?: KillPoint): Promise<{ killed: boolean; code: number; output: string }> {
    const args = ['apply', '-f', 'decl', ...(prune ? ['--prune'] : [])];
    const { child, result } = spawnCli(args, {
      cwd: this.h.dir,
      env: { CODER_URL: this.h.sim.url, CODER_SESSION_TOKEN: this.h.sim.tokenFor('admin'), ...ENV },
    });
    const kill = () => child.kill('SIGKILL');
    const timer = point?.kind === 'time' ? setTimeout(kill, point.ms) : undefined;
    this.trap = point && point.kind !== 'time' ? { point, seen: 0, kill } : undefined;
    const r = await result;
    clearTimeout(timer);
    this.trap = undefined;
    return { killed: r.signal === 'SIGKILL', code: r.code, output: r.stdout.slice(-1500) + r.stderr.slice(-1500) };
  }

  /**
   * Applies with kills until KILLS_PER_PHASE landed, then once more without.
   * A run that finishes (its kill point was past the work left) converged the
   * phase; the kills after it hit a run with nothing to do, which must leave
   * the state file whole too.
   */
  async phase(name: string, prune: boolean, declared: readonly Declaration[], deletesLeft: () => boolean): Promise<void> {
    const why = `seed ${this.seed}, ${name}`;
    let landed = 0;
    let quietCalls: number | undefined;
    for (let run = 0; landed < KILLS_PER_PHASE && run < KILLS_PER_PHASE * 3; run++) {
      const point = killPoint(this.random, deletesLeft(), quietCalls);
      const callsBefore = this.h.sim.calls.length;
      const r = await this.apply(prune, point);
      if (!r.killed) {
        this.expect(r.code, `${why}: apply not killed (at ${JSON.stringify(point)}) failed\n${r.output}`).toBe(0);
        quietCalls ??= this.h.sim.calls.length - callsBefore;
        continue;
      }
      landed += 1;
      await this.checkAfterKill(`${why}, kill ${landed} at ${JSON.stringify(point)}`, declared);
    }
    // Each scenario counts its own kills (no total shared between tests).
    this.expect(landed, `${why}: SIGKILLs that landed`).toBe(KILLS_PER_PHASE);
    const final = await this.apply(prune);
    this.expect(final.code, `${why}: apply after ${landed} kills\n${final.output}`).toBe(0);
    const plan = await this.h.cli(['plan', '-f', 'decl', ...(prune ? ['--prune'] : [])], { env: ENV });
    this.expect(plan.code, `${why}: plan after convergence\n${plan.stdout}${plan.stderr}`).toBe(0);
  }

  /** The state file is whole (old or new, never half), and no workspace was created twice. */
  private async checkAfterKill(why: string, declared: readonly Declaration[]): Promise<void> {
    await readState(join(this.h.dir, '.cwo-state.json'), this.h.sim.url).catch((e: unknown) => {
      this.expect.fail(`${why}: state file unreadable after SIGKILL: ${String(e)}`);
    });
    const twice = declared.filter((d) => recordsFor(this.h.sim, d.owner, d.name) > 1).map((d) => d.key);
    this.expect(twice, `${why}: created twice`).toEqual([]);
  }
}

async function runScenario(seed: number, expect: ExpectStatic): Promise<void> {
  const fleet = makeFleet(seed, DECLARED, UNDECLARED);
  const random = createRandom(seed);
  // Phase A declares everything; some will be removed in phase B, with Delete or Orphan.
  const removed = new Map<string, 'Delete' | 'Orphan'>();
  const first = fleet.declarations.map((d) => {
    const roll = random();
    if (roll < 0.2) removed.set(d.key, 'Delete');
    else if (roll < 0.3) removed.set(d.key, 'Orphan');
    return removed.has(d.key) ? { ...d, spec: { ...d.spec, deletionPolicy: removed.get(d.key) } } : d;
  });
  // Phase B: the rest, about half with changed settings, plus new ones.
  const second = first
    .filter((d) => !removed.has(d.key))
    .map((d) => (random() < 0.5 ? { ...d, ...randomSpec(random, d.owner, String(d.spec['template']), 0.8) } : d));
  for (let i = 0; i < 10; i++) {
    const owner = pick(random, ['alice', 'bob', 'carol', 'dave']);
    const name = `late-${i}`;
    second.push({
      key: `team-${owner}/${name}`,
      namespace: `team-${owner}`,
      metaName: name,
      owner,
      name,
      preexisting: false,
      ...randomSpec(random, owner, 'docker'),
    });
  }

  const h = await startHarness({ seed: fleet.seed });
  const s = new Scenario(seed, h, expect);
  try {
    const untouched: [Snapshot, string][] = fleet.undeclared.map((w) => [snapshot(h.sim, w.owner, w.name)!, w.owner]);
    await s.write(first);
    await s.phase('phase A (create and adopt)', false, first, () => false);
    const problems = first.flatMap((d) => declarationProblems(h.sim, d));
    expect(problems, `seed ${seed}: after phase A`).toEqual([]);
    const idAfterA = new Map(first.map((d) => [d.key, snapshot(h.sim, d.owner, d.name)!.id]));
    const liveAfterA = new Set([...h.sim.state.workspaces.values()].filter((w) => isLive(h, w.id)).map((w) => w.id));

    await s.write(second);
    const toDelete = first.filter((d) => removed.get(d.key) === 'Delete');
    await s.phase('phase B (change, create, prune)', true, second, () =>
      toDelete.some((d) => snapshot(h.sim, d.owner, d.name) !== undefined),
    );

    const why = `seed ${seed}`;
    problems.push(...second.flatMap((d) => declarationProblems(h.sim, d)));
    for (const d of second.filter((x) => idAfterA.has(x.key))) {
      if (snapshot(h.sim, d.owner, d.name)?.id !== idAfterA.get(d.key)) problems.push(`${d.key}: id changed in phase B`);
    }
    const deleted = [...liveAfterA].filter((id) => !isLive(h, id)).sort();
    expect(deleted, `${why}: deleted exactly the pruned Delete-policy workspaces`).toEqual(
      toDelete.map((d) => idAfterA.get(d.key)!).sort(),
    );
    for (const d of first.filter((x) => removed.get(x.key) === 'Orphan')) {
      if (snapshot(h.sim, d.owner, d.name)?.id !== idAfterA.get(d.key)) problems.push(`${d.key}: orphaned workspace gone`);
    }
    for (const [before, owner] of untouched) problems.push(...untouchedProblems(h.sim, before, owner));
    const state = await readState(join(h.dir, '.cwo-state.json'), h.sim.url);
    expect(Object.keys(state.entries).sort(), `${why}: state entries`).toEqual(second.map((d) => d.key).sort());
    problems.push(...h.contractProblems());
    expect(problems, why).toEqual([]);
  } finally {
    await h.close();
  }
}

function isLive(h: Harness, id: string): boolean {
  const ws = h.sim.state.mustWorkspace(id);
  return h.sim.state.findLiveWorkspace(ws.ownerId, ws.name)?.id === id;
}

describe.concurrent('cwo apply SIGKILLed and restarted', () => {
  it.for(SCENARIOS)(
    `scenario seed %i: ${2 * KILLS_PER_PHASE} SIGKILLs, converges`,
    { timeout: SCENARIO_TIMEOUT_MS },
    async (seed, { expect }) => {
      await runScenario(seed, expect);
    },
  );
});
