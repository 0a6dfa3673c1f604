// Issue 21 item 2's safety rules, over generated sequences of WorkspaceSet
// passes: members joining and leaving, generators failing or coming back
// empty, syncPolicy and maxRemovals changing, acknowledgements right and
// wrong, children edited, deleted or unlabelled by hand, and names other
// documents hold. Each pass is decided (src/fleet/membership.ts) and applied
// to a model of the set's children; the invariants are checked on every
// pass. A failure prints fast-check's seed and path: replay with
// CWO_PROPERTY_SEED / CWO_PROPERTY_PATH.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SyncPolicy, WorkspaceSet } from '../../src/api/schema.ts';
import type { GeneratorOutcome } from '../../src/fleet/generators.ts';
import { decideMembership, type ExistingChild, type MembershipDecision } from '../../src/fleet/membership.ts';
import { memberKey, stampChild } from '../../src/fleet/stamp.ts';

const RUNS = Number(process.env.CWO_PROPERTY_RUNS ?? 1000);
const SEED = process.env.CWO_PROPERTY_SEED ? Number(process.env.CWO_PROPERTY_SEED) : 0x21_2026;

// Spellings differ in case on purpose: Coder compares usernames without it.
const USERS = ['alice', 'Bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy'] as const;
const POLICIES: SyncPolicy[] = ['createOnly', 'createUpdate', 'createDelete'];
const FAILURES = ['GroupsUnavailable', 'GroupNotFound', 'Forbidden', 'CoderUnavailable', 'TooManyMembers'] as const;

type Step =
  | { kind: 'members'; members: string[]; upperCase: boolean }
  | { kind: 'fail'; reason: (typeof FAILURES)[number] }
  | { kind: 'empty' }
  | { kind: 'policy'; policy: SyncPolicy }
  | { kind: 'maxRemovals'; value: number }
  | { kind: 'template'; ttl: string }
  | { kind: 'acknowledgeLast' }
  | { kind: 'acknowledgeWrong' }
  | { kind: 'acknowledgeAll' }
  | { kind: 'handEdit'; user: string }
  | { kind: 'handDelete'; user: string }
  | { kind: 'strayChild'; user: string }
  | { kind: 'foreign'; user: string };

const user = fc.constantFrom(...USERS);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('members' as const), members: fc.subarray([...USERS]), upperCase: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('fail' as const), reason: fc.constantFrom(...FAILURES) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'empty' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('policy' as const), policy: fc.constantFrom(...POLICIES) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('maxRemovals' as const), value: fc.nat(6) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('template' as const), ttl: fc.constantFrom('1h', '8h', '0s') }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'acknowledgeLast' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'acknowledgeWrong' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'acknowledgeAll' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('handEdit' as const), user }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('handDelete' as const), user }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('strayChild' as const), user }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('foreign' as const), user }) },
);

/** What the set and its world are between passes. */
interface World {
  set: WorkspaceSet;
  children: ExistingChild[];
  /** The last successful expansion (what the generators would give again). */
  members: string[];
  previousMembers: number;
  lastHeld: MembershipDecision['held'];
  /** What the last held pass would have removed: an acknowledgement holds for that removal only. */
  lastHeldRemovals?: string[] | undefined;
  foreign: Map<string, string>;
}

interface Stats {
  passes: number;
  held: number;
  removed: number;
  created: number;
}

function initialWorld(): World {
  return {
    set: {
      apiVersion: 'coderops.dev/v1alpha1',
      kind: 'WorkspaceSet',
      metadata: { name: 'devs', namespace: 'team-a' },
      spec: {
        generators: [{ users: { query: 'status:active' } }],
        template: { spec: { template: 'go-dev', ttl: '8h' } },
        syncPolicy: 'createDelete',
        maxRemovals: 2,
      },
    },
    children: [],
    members: [],
    previousMembers: 0,
    lastHeld: undefined,
    foreign: new Map(),
  };
}

/** One pass: decide, check the invariants, apply to the model. */
function pass(world: World, outcome: GeneratorOutcome, acknowledged: string | boolean | undefined, stats: Stats): void {
  const before = world.children.map((c) => structuredClone(c));
  const policy = world.set.spec.syncPolicy ?? 'createUpdate';
  const maxRemovals = world.set.spec.maxRemovals ?? 10;
  const decision = decideMembership({
    set: world.set,
    children: world.children,
    members: outcome,
    previousMembers: world.previousMembers,
    ...(acknowledged !== undefined ? { acknowledged } : {}),
    foreign: world.foreign,
  });
  stats.passes++;
  const changes = decision.create.length + decision.update.length + decision.remove.length;

  // A failed generator never changes a child.
  if (!outcome.ok) {
    expect(changes, 'a failed generator changed children').toBe(0);
    expect(decision.held?.reason).toBe('GeneratorFailed');
  }
  // A held pass changes nothing at all.
  if (decision.held) expect(changes, `held (${decision.held.reason}) but changing`).toBe(0);
  // Removal only under createDelete, only of a labelled child whose member is not in a successful expansion.
  if (decision.remove.length > 0) {
    expect(policy).toBe('createDelete');
    expect(outcome.ok).toBe(true);
    const keys = new Set((outcome.ok ? outcome.members : []).map((m) => memberKey(m.username)));
    for (const child of decision.remove) {
      expect(child.member, `${child.name} removed without a member label`).toBeDefined();
      expect(keys.has(memberKey(child.member!)), `${child.name} removed though its member is in`).toBe(false);
      expect(before.some((c) => c.name === child.name)).toBe(true);
    }
  }
  // No pass removes more than maxRemovals, unless that very removal was acknowledged.
  if (decision.remove.length > maxRemovals) {
    const acknowledgedThis =
      acknowledged === true ||
      (typeof acknowledged === 'string' &&
        world.lastHeld?.acknowledgeWith === acknowledged &&
        sameNames(
          world.lastHeldRemovals ?? [],
          decision.remove.map((c) => c.name),
        ));
    expect(acknowledgedThis, `${decision.remove.length} removals > maxRemovals ${maxRemovals} without acknowledgement`).toBe(true);
  }
  // An empty result after members is held (unless acknowledged).
  if (outcome.ok && outcome.members.length === 0 && (world.previousMembers > 0 || before.length > 0) && acknowledged === undefined) {
    expect(decision.held?.reason).toBe('MembershipEmpty');
  }
  // A child never takes a name another document holds.
  for (const c of decision.create) expect(world.foreign.has(c.name), `${c.name} overwrites a foreign Workspace`).toBe(false);
  if (policy === 'createOnly') expect(decision.update).toEqual([]);

  // Apply.
  if (decision.held) {
    stats.held++;
    world.lastHeld = decision.held;
    world.lastHeldRemovals = removalsIfAcknowledged(world, outcome);
    return;
  }
  const removed = new Set(decision.remove.map((c) => c.name));
  const updated = new Map(decision.update.map((u) => [u.child.name, u.desired]));
  world.children = world.children
    .filter((c) => !removed.has(c.name))
    .map((c) => {
      const d = updated.get(c.name);
      return d ? { name: c.name, member: d.member, labels: d.labels, annotations: d.annotations, spec: d.spec } : c;
    });
  for (const d of decision.create) {
    world.children.push({ name: d.name, member: d.member, labels: d.labels, annotations: d.annotations, spec: d.spec });
  }
  stats.removed += removed.size;
  stats.created += decision.create.length;
  if (outcome.ok) world.previousMembers = outcome.members.length;
  world.lastHeld = undefined;

  // A member never has two children; names stay unique.
  const perMember = new Map<string, number>();
  for (const c of world.children) {
    if (c.member !== undefined) perMember.set(memberKey(c.member), (perMember.get(memberKey(c.member)) ?? 0) + 1);
  }
  for (const [m, n] of perMember) expect(n, `member ${m} has ${n} children`).toBe(1);
  expect(new Set(world.children.map((c) => c.name)).size).toBe(world.children.length);

  // Steady state is quiet: the same pass again changes nothing.
  if (outcome.ok) {
    const again = decideMembership({
      set: world.set,
      children: world.children,
      members: outcome,
      previousMembers: world.previousMembers,
      foreign: world.foreign,
    });
    if (!again.held) expect(again.create.length + again.update.length + again.remove.length, 'second pass not quiet').toBe(0);
  }
}

/** Which children a held pass would remove, to tell a replayed acknowledgement for the same removal from one for another. */
function removalsIfAcknowledged(world: World, outcome: GeneratorOutcome): string[] | undefined {
  if (!outcome.ok) return undefined;
  const d = decideMembership({
    set: world.set,
    children: world.children,
    members: outcome,
    previousMembers: world.previousMembers,
    acknowledged: true,
    foreign: world.foreign,
  });
  return d.remove.map((c) => c.name);
}

function sameNames(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().join() === [...b].sort().join();
}

function run(steps: Step[], stats: Stats): void {
  const world = initialWorld();
  let acknowledged: string | boolean | undefined;
  const ok = (names: string[]): GeneratorOutcome => ({ ok: true, members: names.map((username) => ({ username })) });
  for (const s of steps) {
    switch (s.kind) {
      case 'members':
        world.members = s.members.map((m) => (s.upperCase ? m.toUpperCase() : m));
        pass(world, ok(world.members), acknowledged, stats);
        acknowledged = undefined;
        break;
      case 'fail':
        pass(world, { ok: false, reason: s.reason, message: `generator 1 (users status:active): ${s.reason}` }, acknowledged, stats);
        break;
      case 'empty':
        pass(world, ok([]), acknowledged, stats);
        acknowledged = undefined;
        break;
      case 'policy':
        world.set.spec.syncPolicy = s.policy;
        pass(world, ok(world.members), undefined, stats);
        break;
      case 'maxRemovals':
        world.set.spec.maxRemovals = s.value;
        pass(world, ok(world.members), undefined, stats);
        break;
      case 'template':
        world.set.spec.template.spec.ttl = s.ttl;
        pass(world, ok(world.members), undefined, stats);
        break;
      case 'acknowledgeLast':
        // The person copies the value from the held condition, then the next pass runs.
        acknowledged = world.lastHeld?.acknowledgeWith;
        break;
      case 'acknowledgeWrong':
        acknowledged = 'remove-000000000000';
        break;
      case 'acknowledgeAll':
        acknowledged = true;
        break;
      case 'handEdit': {
        const c = world.children.find((x) => x.member !== undefined && memberKey(x.member) === memberKey(s.user));
        if (c) c.spec = { ...c.spec, ttl: '2h' };
        pass(world, ok(world.members), undefined, stats);
        break;
      }
      case 'handDelete':
        world.children = world.children.filter((x) => x.member === undefined || memberKey(x.member) !== memberKey(s.user));
        pass(world, ok(world.members), undefined, stats);
        break;
      case 'strayChild': {
        // A Workspace with the set label but no member label: no evidence whose it is.
        const stamped = stampChild(world.set, { username: s.user });
        const name = `stray-${stamped.name}`;
        if (!world.children.some((c) => c.name === name)) world.children.push({ name, member: undefined, spec: stamped.spec });
        pass(world, ok(world.members), undefined, stats);
        break;
      }
      case 'foreign': {
        const name = stampChild(world.set, { username: s.user }).name;
        if (!world.children.some((c) => c.name === name)) world.foreign.set(name, `Workspace team-a/${name} (hand-written)`);
        pass(world, ok(world.members), undefined, stats);
        break;
      }
    }
  }
}

describe('WorkspaceSet membership invariants (generated sequences of passes)', () => {
  it(`${RUNS} sequences: failed generators change nothing, removals stay within maxRemovals and createDelete, empty is held, one child per member, no name taken`, () => {
    const stats: Stats = { passes: 0, held: 0, removed: 0, created: 0 };
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 30 }), (steps) => run(steps, stats)),
      {
        numRuns: RUNS,
        seed: SEED,
        ...(process.env.CWO_PROPERTY_PATH ? { path: process.env.CWO_PROPERTY_PATH } : {}),
      },
    );
    console.log(
      `membership property: ${RUNS} sequences, seed ${SEED}, ${stats.passes} passes, ${stats.held} held, ${stats.created} created, ${stats.removed} removed`,
    );
    // A property whose sequences never remove or never hold proves nothing about those paths.
    expect(stats.removed).toBeGreaterThan(RUNS / 10);
    expect(stats.held).toBeGreaterThan(RUNS / 10);
  });
});
