// The CLI door of WorkspaceSets: each set's generators are read from Coder
// (one read per generator), the membership is decided as the operator
// decides it (src/fleet/membership.ts), and the result becomes ordinary
// Workspace declarations for the run. What the set had is read from the
// state file: its entries carry the set and member they were stamped for.
//
// How a decision maps onto a run:
//   - a member's child is declared (planned and applied like any Workspace);
//     under createOnly an existing child is declared suspended (left alone);
//   - a leaving member's child is declared suspended under createOnly and
//     createUpdate (kept, never pruned), and pruned under createDelete by
//     the ordinary prune, following its deletionPolicy (default Orphan);
//   - a held set (failed generator, suspicious empty result, too many
//     removals, a name another document holds) stops the whole run before
//     any write, with the reason and the set's file and document.
import type { DeletionPolicy, Workspace } from '../api/schema.ts';
import { validateWorkspace } from '../api/validate.ts';
import { describeGenerator, type ExpansionBounds, expandGenerators, type MemberReader } from '../fleet/generators.ts';
import { decideMembership, type ExistingChild, type Held } from '../fleet/membership.ts';
import { type Member, memberKey, type StampedChild, stampChild } from '../fleet/stamp.ts';
import type { DeclarationError, LoadedSet, LoadedWorkspace } from './declaration.ts';
import { DeclarationConflictError } from './identity.ts';
import type { StateFile } from './state.ts';

/** A set held its pass (or stamped an invalid child): the run stopped before any write; the errors say why, per set. */
export class SetHeldError extends DeclarationConflictError {
  override name = 'SetHeldError';
  readonly summaries: SetSummary[];

  constructor(errors: DeclarationError[], summaries: SetSummary[]) {
    super(errors);
    this.summaries = summaries;
  }
}

/** What one set's expansion comes to, for the plan (`set team-a/devs: 120 members, 3 new, 1 leaving (orphan)`). */
export interface SetSummary {
  key: string;
  source: { file: string; document: number };
  syncPolicy: 'createOnly' | 'createUpdate' | 'createDelete';
  /** One line per generator, e.g. `users status:active: 118`. */
  generators: { describe: string; members: number }[];
  members: number;
  /** Children the state records for the set before this run. */
  children: number;
  /** Keys of children this run declares for the first time. */
  joining: string[];
  /** Children of members who left, and what happens to each. */
  leaving: { key: string; member: string; outcome: 'kept' | 'orphan' | 'delete' }[];
  held?: Held;
}

export interface ExpandedSets {
  /** Children to plan and apply. */
  children: LoadedWorkspace[];
  /** Children declared suspended: kept as they are, never pruned. */
  kept: LoadedWorkspace[];
  /** State keys of children a createDelete set removes (through the ordinary prune). */
  removals: Set<string>;
  /** Child key -> its set and member, recorded in the state. */
  childOf: Map<string, { set: string; member: string }>;
  summaries: SetSummary[];
  /** Usernames (lowercased) this run read from Coder's own user or group lists: they exist, no lookup needed. */
  coderUsers: Set<string>;
  /** Held sets and children that are not valid Workspaces: the run stops before any write. */
  errors: DeclarationError[];
}

interface ExpandOptions {
  sets: LoadedSet[];
  /** The hand-written Workspaces of the run: a child never takes one's name. */
  workspaces: LoadedWorkspace[];
  state: StateFile | undefined;
  reader: MemberReader;
  bounds: ExpansionBounds;
  /** Values from held passes the user acknowledged (--acknowledge-removals). */
  acknowledged: readonly string[];
  /** The deletion policy of a child that does not say (--deletion-policy). */
  defaultDeletionPolicy: DeletionPolicy;
}

interface Read {
  loaded: LoadedSet;
  outcome: Awaited<ReturnType<typeof expandGenerators>>;
  existing: ExistingChild[];
}

export async function expandSets(opts: ExpandOptions): Promise<ExpandedSets> {
  // All reads first: a set's children may only take names no other set wants.
  const reads: Read[] = [];
  for (const loaded of opts.sets) {
    const outcome = await expandGenerators(loaded.set.spec, opts.reader, opts.bounds);
    reads.push({ loaded, outcome, existing: existingChildren(loaded, opts.state) });
  }
  const claims = new Map<string, string>(); // ns/name -> what declares it
  for (const w of opts.workspaces) claims.set(w.key, `Workspace ${w.key} (${where(w.source)})`);
  const wantedBy = reads.map((r) => {
    const names = r.outcome.ok ? r.outcome.members.map((m) => stampChild(r.loaded.set, m).name) : [];
    const all = [...new Set([...names, ...r.existing.map((c) => c.name)])];
    return all.map((name) => `${namespaceOf(r.loaded)}/${name}`);
  });

  const out: ExpandedSets = {
    children: [],
    kept: [],
    removals: new Set(),
    childOf: new Map(),
    summaries: [],
    coderUsers: new Set(),
    errors: [],
  };
  // A member with a user id came from Coder's own list (a list element has none, and is checked like any owner).
  for (const r of reads) if (r.outcome.ok) for (const m of r.outcome.members) if (m.userId) out.coderUsers.add(m.username.toLowerCase());
  for (const [i, read] of reads.entries()) {
    const { loaded, outcome, existing } = read;
    const ns = namespaceOf(loaded);
    const describe = `WorkspaceSet ${loaded.key} (${where(loaded.source)})`;
    const foreign = new Map<string, string>();
    for (const [key, what] of claims) if (key.startsWith(`${ns}/`)) foreign.set(key.slice(ns.length + 1), what);
    for (const [j, other] of reads.entries()) {
      if (j === i) continue;
      for (const key of wantedBy[j]!) {
        if (key.startsWith(`${ns}/`))
          foreign.set(key.slice(ns.length + 1), `WorkspaceSet ${other.loaded.key} (${where(other.loaded.source)})`);
      }
    }
    const decision = decideMembership({
      set: loaded.set,
      children: existing,
      members: outcome,
      previousMembers: opts.state?.sets?.[loaded.key]?.members ?? 0,
      acknowledged: opts.acknowledged,
      foreign,
      describe,
    });
    const policy = loaded.set.spec.syncPolicy ?? 'createUpdate';
    const summary: SetSummary = {
      key: loaded.key,
      source: loaded.source,
      syncPolicy: policy,
      generators: loaded.set.spec.generators.map((g, n) => ({
        describe: describeGenerator(g),
        members: outcome.ok ? (outcome.perGenerator?.[n] ?? 0) : 0,
      })),
      members: decision.members,
      children: existing.length,
      joining: [],
      leaving: [],
    };
    out.summaries.push(summary);
    if (decision.held) {
      summary.held = decision.held;
      out.errors.push({ file: loaded.source.file, document: loaded.source.document, message: decision.held.message });
      continue;
    }
    // Each unchanged child finds its member by key: one lookup, not a scan of the members (a 10,000-member set).
    const memberByKey = new Map<string, Member>();
    if (outcome.ok) for (const m of outcome.members) if (!memberByKey.has(memberKey(m.username))) memberByKey.set(memberKey(m.username), m);
    const declare = (stamped: StampedChild, kept: boolean) => {
      const child = toDeclaration(loaded, stamped, kept);
      if ('errors' in child) {
        out.errors.push(...child.errors);
        return;
      }
      (kept ? out.kept : out.children).push(child);
      out.childOf.set(child.key, { set: loaded.key, member: stamped.member });
    };
    for (const d of decision.create) {
      declare(d, false);
      summary.joining.push(`${ns}/${d.name}`);
    }
    for (const { desired } of decision.update) declare(desired, false);
    for (const child of decision.unchanged) {
      if (child.member === undefined) continue;
      const member = memberByKey.get(memberKey(child.member));
      if (!member) continue;
      // Under createOnly an existing child is left as it is.
      declare({ ...stampChild(loaded.set, member), name: child.name }, policy === 'createOnly');
    }
    for (const child of decision.retained) {
      declare({ ...stampChild(loaded.set, { username: child.member! }), name: child.name }, true);
      summary.leaving.push({ key: `${ns}/${child.name}`, member: child.member!, outcome: 'kept' });
    }
    for (const child of decision.remove) {
      const key = `${ns}/${child.name}`;
      out.removals.add(key);
      const recorded = opts.state?.entries[key];
      // What prune will do: Delete only where the state has the evidence for it (run.ts, deletable()).
      const deletes = recorded?.deletionPolicy === 'Delete' && recorded.management === 'Full';
      summary.leaving.push({ key, member: child.member!, outcome: deletes ? 'delete' : 'orphan' });
    }
  }
  return out;
}

/** The set's children as the state records them. */
function existingChildren(loaded: LoadedSet, state: StateFile | undefined): ExistingChild[] {
  const children: ExistingChild[] = [];
  const prefix = `${namespaceOf(loaded)}/`;
  for (const entry of Object.values(state?.entries ?? {})) {
    if (entry.set !== loaded.key || !entry.key.startsWith(prefix)) continue;
    const name = entry.key.slice(prefix.length);
    const member: Member | undefined = entry.member === undefined ? undefined : { username: entry.member };
    // The spec is not recorded: the engine diffs the child against Coder, so only membership matters here.
    const spec = member ? stampChild(loaded.set, member).spec : { owner: entry.owner };
    children.push({ name, member: entry.member, spec: spec as ExistingChild['spec'] });
  }
  return children;
}

function toDeclaration(loaded: LoadedSet, stamped: StampedChild, kept: boolean): LoadedWorkspace | { errors: DeclarationError[] } {
  const doc: Workspace = {
    apiVersion: 'coderops.dev/v1alpha1',
    kind: 'Workspace',
    metadata: {
      name: stamped.name,
      namespace: namespaceOf(loaded),
      labels: stamped.labels,
      ...(Object.keys(stamped.annotations).length > 0 ? { annotations: stamped.annotations } : {}),
    },
    spec: kept ? { ...stamped.spec, suspend: true } : stamped.spec,
  };
  const valid = validateWorkspace(doc);
  if (!valid.ok) {
    return {
      errors: valid.errors.map((e) => ({
        file: loaded.source.file,
        document: loaded.source.document,
        message: `WorkspaceSet ${loaded.key}: the child ${stamped.name} for member ${stamped.member} is not a valid Workspace: ${e.path}: ${e.message}`,
      })),
    };
  }
  const workspace = valid.value;
  return {
    source: loaded.source,
    workspace,
    key: `${namespaceOf(loaded)}/${stamped.name}`,
    coderName: workspace.spec.name ?? stamped.name,
  };
}

function namespaceOf(loaded: LoadedSet): string {
  return loaded.set.metadata.namespace ?? 'default';
}

function where(source: { file: string; document: number }): string {
  return `${source.file}: document ${source.document}`;
}
