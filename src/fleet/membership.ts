// What a WorkspaceSet's pass does to its children, given the members its
// generators found: pure, so both doors (CLI, operator) decide alike and the
// safety rules are proven once (test/property/workspaceset-membership.property.test.ts).
//
// The rules (issue 21, item 2):
//   - a failed generator changes no child;
//   - a child is removed only under createDelete, and only on positive
//     evidence: it carries this set's member label and that member is not in
//     a successful expansion;
//   - more removals than maxRemovals hold the whole pass until the limit is
//     raised or this very removal is acknowledged;
//   - an empty expansion after members (or with children) is held as
//     suspicious, never read as "remove everyone";
//   - a member has at most one child, and a child never takes a name another
//     document holds: both are held with the names of both.
// A held pass changes nothing at all: no create, no update, no removal.
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import { type SyncPolicy, type WorkspaceSet, WorkspaceSpec } from '../api/schema.ts';
import type { GeneratorOutcome } from './generators.ts';
import { type Member, memberKey, type StampedChild, stampChild } from './stamp.ts';

export const DEFAULT_SYNC_POLICY: SyncPolicy = 'createUpdate';
const DEFAULT_MAX_REMOVALS = 10;

/** A child Workspace of the set as it is now. */
export interface ExistingChild {
  /** metadata.name */
  name: string;
  /** Its member label; undefined when absent (such a child is never removed: no evidence whose it is). */
  member: string | undefined;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  spec: WorkspaceSpec;
}

type HeldReason =
  /** A generator failed (the outcome's own reason is in the message). */
  'GeneratorFailed' | 'TooManyRemovals' | 'MembershipEmpty' | 'DuplicateChild' | 'NameCollision';

export interface Held {
  reason: HeldReason;
  /** The generator's own reason (GroupsUnavailable, ...) when reason is GeneratorFailed. */
  generatorReason?: string;
  message: string;
  /** The value that acknowledges exactly this removal (TooManyRemovals, MembershipEmpty). */
  acknowledgeWith?: string;
}

interface MembershipInput {
  set: WorkspaceSet;
  /** This set's children (those with its set label). */
  children: readonly ExistingChild[];
  /** What the generators produced: a failed outcome changes nothing. */
  members: GeneratorOutcome | readonly Member[];
  /** Default: the set's spec.syncPolicy, else createUpdate. */
  syncPolicy?: SyncPolicy;
  /** Default: the set's spec.maxRemovals, else 10. */
  maxRemovals?: number;
  /**
   * Lets a held removal through: true for any, or the held pass's
   * acknowledgeWith value (one of several: a CLI run may acknowledge one per
   * set) for that removal only (a later, different removal is held again).
   */
  acknowledged?: string | boolean | readonly string[];
  /** Members of the last expansion acted on (status.lastMembers, the CLI's state). */
  previousMembers?: number;
  /** Workspace names held by anything but this set (another set's child, a hand-written Workspace): name -> what holds it. */
  foreign?: ReadonlyMap<string, string>;
  /** How errors name this set, e.g. `WorkspaceSet team-a/devs (sets.yaml)`. Default `WorkspaceSet <ns>/<name>`. */
  describe?: string;
}

export interface MembershipDecision {
  /** Members of the expansion (0 when it failed). */
  members: number;
  create: StampedChild[];
  /** Children whose stamped form changed (never under createOnly). */
  update: { child: ExistingChild; desired: StampedChild }[];
  /** Children of members who left, removed (createDelete only). */
  remove: ExistingChild[];
  /** Children of members who left, kept by the sync policy. */
  retained: ExistingChild[];
  unchanged: ExistingChild[];
  held?: Held;
}

export function decideMembership(input: MembershipInput): MembershipDecision {
  const { set, children } = input;
  const policy = input.syncPolicy ?? set.spec.syncPolicy ?? DEFAULT_SYNC_POLICY;
  const maxRemovals = input.maxRemovals ?? set.spec.maxRemovals ?? DEFAULT_MAX_REMOVALS;
  const who = input.describe ?? `WorkspaceSet ${set.metadata.namespace ?? 'default'}/${set.metadata.name}`;
  const holdAll = (held: Held, members = 0): MembershipDecision => ({
    members,
    create: [],
    update: [],
    remove: [],
    retained: [],
    unchanged: [...children],
    held,
  });

  const outcome: GeneratorOutcome = Array.isArray(input.members)
    ? { ok: true, members: input.members as Member[] }
    : (input.members as GeneratorOutcome);
  if (!outcome.ok) {
    return holdAll({
      reason: 'GeneratorFailed',
      generatorReason: outcome.reason,
      message: `${who}: ${outcome.message}; no child changed`,
    });
  }
  const members = outcome.members;

  // One child per member, on both sides.
  const childByMember = new Map<string, ExistingChild>();
  for (const child of children) {
    if (child.member === undefined) continue;
    const key = memberKey(child.member);
    const other = childByMember.get(key);
    if (other) {
      return holdAll(
        {
          reason: 'DuplicateChild',
          message: `${who}: member ${child.member} has two children, Workspaces ${other.name} and ${child.name}; remove one`,
        },
        members.length,
      );
    }
    childByMember.set(key, child);
  }
  const wanted = new Map<string, StampedChild>();
  const memberByChildName = new Map<string, string>();
  for (const member of members) {
    const key = memberKey(member.username);
    if (wanted.has(key)) {
      return holdAll({ reason: 'DuplicateChild', message: `${who}: member ${member.username} was produced twice` }, members.length);
    }
    const stamped = stampChild(set, member);
    // metadata.name cannot change: a member's existing child keeps its name.
    const existing = childByMember.get(key);
    const desired = existing ? { ...stamped, name: existing.name } : stamped;
    const sameName = memberByChildName.get(desired.name);
    if (sameName !== undefined) {
      return holdAll(
        {
          reason: 'DuplicateChild',
          message: `${who}: members ${sameName} and ${member.username} would both get the Workspace ${desired.name}`,
        },
        members.length,
      );
    }
    memberByChildName.set(desired.name, member.username);
    wanted.set(key, desired);
  }

  // A name another document holds is never taken over.
  const ownNames = new Set(children.map((c) => c.name));
  for (const desired of wanted.values()) {
    const holder = input.foreign?.get(desired.name);
    if (holder !== undefined && !ownNames.has(desired.name)) {
      return holdAll(
        {
          reason: 'NameCollision',
          message: `${who}: the child ${desired.name} for member ${desired.member} has the name of ${holder}; rename one (template.metadata.name)`,
        },
        members.length,
      );
    }
  }

  const create: StampedChild[] = [];
  const update: MembershipDecision['update'] = [];
  const unchanged: ExistingChild[] = [];
  const leaving: ExistingChild[] = [];
  for (const [key, desired] of wanted) {
    const child = childByMember.get(key);
    if (!child) create.push(desired);
    else if (policy !== 'createOnly' && !sameChild(child, desired)) update.push({ child, desired });
    else unchanged.push(child);
  }
  for (const child of children) {
    if (child.member === undefined) unchanged.push(child);
    else if (!wanted.has(memberKey(child.member))) leaving.push(child);
  }
  const remove = policy === 'createDelete' ? leaving : [];
  const retained = policy === 'createDelete' ? [] : leaving;

  const empty = members.length === 0 && ((input.previousMembers ?? 0) > 0 || children.length > 0);
  const tooMany = remove.length > maxRemovals;
  if (empty || tooMany) {
    // One value acknowledges the pass as it is: these children, these removals.
    const token = acknowledgement(empty, children, remove);
    if (!acknowledges(input.acknowledged, token)) {
      const removals = tooMany
        ? `${remove.length} children would be removed, more than maxRemovals ${maxRemovals}`
        : `${remove.length} children would be removed`;
      const message = empty
        ? `${who}: the generators found no members, where there were ${Math.max(input.previousMembers ?? 0, children.length)}; ` +
          `held as suspicious (${removals}), nothing changed; acknowledge ${token} if that is meant`
        : `${who}: ${removals}; held, nothing changed (raise maxRemovals or acknowledge ${token})`;
      return holdAll({ reason: empty ? 'MembershipEmpty' : 'TooManyRemovals', message, acknowledgeWith: token }, members.length);
    }
  }
  return { members: members.length, create, update, remove, retained, unchanged };
}

/** Whether a child already is what the set stamps: the same spec (defaults applied) and the set's labels and annotations. */
function sameChild(child: ExistingChild, desired: StampedChild): boolean {
  return (
    isDeepStrictEqual(withDefaults(child.spec), withDefaults(desired.spec)) &&
    includes(child.labels, desired.labels) &&
    includes(child.annotations, desired.annotations)
  );
}

function withDefaults(spec: WorkspaceSpec): unknown {
  return Value.Default(WorkspaceSpec, structuredClone(spec));
}

function includes(have: Record<string, string> | undefined, want: Record<string, string>): boolean {
  return Object.entries(want).every(([k, v]) => have?.[k] === v);
}

/** The value acknowledging one held pass: which children there are and which would go, so a different pass is held again. */
function acknowledgement(empty: boolean, children: readonly ExistingChild[], remove: readonly ExistingChild[]): string {
  const hash = createHash('sha256');
  hash.update(empty ? 'empty\n' : 'removals\n');
  for (const name of children.map((c) => c.name).sort()) hash.update(`${name}\n`);
  hash.update('-\n');
  for (const name of remove.map((c) => c.name).sort()) hash.update(`${name}\n`);
  return `${empty ? 'empty' : 'remove'}-${hash.digest('hex').slice(0, 12)}`;
}

function acknowledges(given: MembershipInput['acknowledged'], token: string): boolean {
  if (Array.isArray(given)) return given.includes(token);
  return given === true || given === token;
}
