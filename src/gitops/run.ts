// plan / apply over declarations from files: load and validate everything,
// observe Coder once, diff, and (for apply) converge and record what this
// tool manages. Nothing is written to Coder unless every document is valid.
import { resolve } from 'node:path';
import type { DeletionPolicy } from '../api/schema.ts';
import type { CoderApi } from '../coder/api.ts';
import {
  type ApplyResult,
  toDesired,
  diffDelete,
  failuresOf,
  WorkspaceEngine,
  CoderWorkspaces,
  type OwnerApis,
  type WorkspaceOwner,
  type ActionOutcome,
  type DesiredWorkspace,
  type ObservedWorkspace,
  type WorkspacePlan,
  VersionNames,
  windowState,
  type WindowSpec,
  type WindowState,
  isMe,
  withOwnerResolved,
} from '../engine/index.ts';
import { DEFAULT_ROLLOUT, type LifecycleHooks, LifecycleRun, type RolloutOptions } from './lifecycle-run.ts';
import type { WorkspaceStatus } from '../api/schema.ts';
import type { LoadedWorkspace } from './load.ts';
import { forget, readState, recordApplied, writeState, type Management, type StateEntry, type StateFile } from './state.ts';
import { claimState, FILES_SOURCE, withinScope, type RunSource } from './source-identity.ts';
import { resolveStatePath } from './state-path.ts';
import type { DeclarationError } from './declaration.ts';
import { splitSuspended, suspendedStatus, type SuspendedDeclaration } from './operator-fields.ts';
import { lockState } from './state-lock.ts';
import { checkBindings, ownerDuplicates, ownerKeys, DeclarationConflictError } from './identity.ts';
import { DEFAULT_PRUNE_LIMIT, pruneRefusal, type PruneLimit } from './prune-limit.ts';
import type { LoadedSet } from './declaration.ts';
import type { MemberReader } from '../fleet/generators.ts';
import { type ExpandedSets, expandSets, SetHeldError, type SetSummary } from './set-expansion.ts';

export interface RunOptions {
  /** Validated declarations (loadDeclarations() ran, and found no error). */
  declarations: LoadedWorkspace[];
  /**
   * WorkspaceSets (loadDeclarations().sets): expanded against Coder once the
   * state is read, their children joining `declarations` (set-expansion.ts).
   */
  sets?: LoadedSet[];
  /** How the sets' generators read Coder's users and groups; required with sets. */
  members?: MemberReader;
  /** Most members one set may have. Default 100,000 (the list bound of the client). */
  maxMembers?: number;
  /** Values of held set passes the user acknowledges (--acknowledge-removals). */
  acknowledgeRemovals?: string[];
  /** The paths the declarations were loaded from (`-f`): the scope of prune. */
  paths: string[];
  /** Directory relative paths are resolved against; default process.cwd(). */
  cwd?: string;
  /**
   * The source of the declarations (source-identity.ts): its name, how a
   * declaration's file is named in the state (`source`) and which recorded
   * files prune may touch. Default: local files, absolute paths, scope =
   * `paths` resolved against cwd. Git sources (gitSources()) record
   * repository and ref, and `git:<path>` names, so the state does not
   * depend on where a clone happens to live.
   */
  sources?: RunSource;
  /** Sources (by name) whose entries in the state this run may take over (--state-source-takeover). */
  stateSourceTakeover?: string[];
  /** Statuses of the previous run (sync): conditions keep their transition times, drift is judged against them. */
  previous?: Record<string, WorkspaceStatus>;
  api: CoderApi;
  owners: OwnerApis;
  coderUrl: string;
  /** The token's user, when the caller knows it already (the CLI checks the token with GET /users/me); else asked for `owner: me`. */
  me?: WorkspaceOwner;
  /** Where the CLI records what it manages; undefined keeps no state (no prune, no rename tracking). */
  statePath?: string;
  prune: boolean;
  /** How many workspaces a prune may delete in one run (prune-limit.ts); default 10. */
  maxPrune?: PruneLimit;
  defaultDeletionPolicy: DeletionPolicy;
  concurrency: number;
  /** Rollout control of version and parameter updates (lifecycle-run.ts); default DEFAULT_ROLLOUT. */
  rollout?: RolloutOptions;
  /** How long apply waits for a delete build. */
  deleteTimeoutMs: number;
  now?: () => Date;
  onOutcome?: (key: string, outcome: ActionOutcome) => void;
  /** Where the run keeps the template version names it prints (version-names.ts); the CLI passes one to render apply's lines too. */
  versionNames?: VersionNames;
  /** Aborted on SIGINT/SIGTERM: no new build starts, builds in flight are awaited (bounded), the state is written. */
  signal?: AbortSignal;
  /**
   * apply: the plan is made and nothing is written yet (the CLI checks it
   * against Coder and its progress learns the total). Throwing stops the
   * apply before its first write.
   */
  onPlanned?: (report: PlanReport) => void | Promise<void>;
}

/** A workspace the state records but no declaration names any more. */
interface PrunePlan {
  entry: StateEntry;
  observed: ObservedWorkspace | undefined;
  plan: WorkspacePlan;
  /**
   * The declaration or state entry that still binds this entry's workspace
   * (after a metadata.name rename, say): the entry is only forgotten, the
   * workspace is never deleted.
   */
  keptFor?: string;
}

export interface PlanReport {
  plans: WorkspacePlan[];
  /** What each WorkspaceSet expanded to; absent without sets. */
  sets?: SetSummary[];
  /** Usernames (lowercased) read from Coder's user or group lists this run: known to exist. */
  coderUsers?: ReadonlySet<string>;
  prunes: PrunePlan[];
  statuses: Map<string, WorkspaceStatus>;
  /** Declarations with spec.suspend: true, left alone (not observed, planned, applied or pruned). */
  suspended?: SuspendedDeclaration[];
  /**
   * Adoptions: declarations that apply will record in the state as bound to
   * a workspace it did not record yet. Empty without a state file, where
   * there is nothing to record.
   */
  adoptions: Set<string>;
  /** Why the prune goes past --max-prune: plan reports it, apply refuses to run at all. */
  pruneRefusal?: string;
  /** Names of the template versions the plans move between. */
  versions: VersionNames;
  /** The run's maintenance window and its state at plan time, when one is set. */
  window?: { spec: WindowSpec; state: WindowState };
}

export interface ApplyReport extends PlanReport {
  results: ApplyResult[];
  /** The run was interrupted (RunOptions.signal): builds not started are owed to the next run. */
  interrupted?: boolean;
  /** Builds this run stopped waiting for (timeout, interrupt), still running in Coder; the next run counts them. */
  leftInFlight?: number;
  pruneResults: { key: string; outcome: 'deleted' | 'orphaned' | 'failed' | 'timeout'; error?: unknown }[];
}

interface Prepared {
  report: PlanReport;
  /** The sets' expansion: which children are whose, and each set's members, for the state. */
  expanded: ExpandedSets | undefined;
  state: StateFile | undefined;
  /** The state narrows what a declaration of this run said no longer to delete: written before any Coder write. */
  writeAhead: boolean;
  lifecycle: LifecycleRun;
}

async function prepare(
  given: RunOptions,
  engine: WorkspaceEngine,
  makeLifecycle: (state: StateFile | undefined) => LifecycleRun,
  mode: 'plan' | 'apply',
): Promise<Prepared> {
  const source = runSource(given);
  const statePath = given.statePath;
  const read = statePath ? await readState(statePath, given.coderUrl) : undefined;
  const claimed = read && statePath ? claimState(read, statePath, source, given.stateSourceTakeover ?? []) : undefined;
  if (given.prune && given.declarations.length === 0 && (given.sets ?? []).length === 0) throw nothingDeclared(given);
  const expanded = await expandRunSets(given, claimed);
  const opts = expanded ? { ...given, declarations: [...given.declarations, ...expanded.children, ...expanded.kept] } : given;
  const removals = expanded?.removals ?? new Set<string>();
  const lifecycle = makeLifecycle(claimed);
  const { active, suspended } = splitSuspended(opts.declarations);
  const scope = source.scope;
  const inRun = (entry: StateEntry) => withinScope(entry.source, scope);
  if (claimed) checkRecordedElsewhere(opts.declarations, claimed, inRun);
  // `me` is the token's user: resolved once per run, so owners compare, find and bind alike whatever the spelling.
  const me = opts.declarations.some((w) => isMe(w.workspace.spec.owner)) ? (opts.me ?? (await engine.user('me'))) : undefined;
  const toResolved = (w: LoadedWorkspace) =>
    withOwnerResolved(toDesired(w.workspace, w.source, { deletionPolicy: opts.defaultDeletionPolicy }, claimed?.entries[w.key]?.id), me);
  const desired = active.map(toResolved);
  const { snapshot } = await engine.observe(desired);
  // A suspended declaration still declares its workspace: one that another declaration names too is a duplicate.
  const everyDeclaration = [...desired, ...opts.declarations.filter((w) => w.workspace.spec.suspend === true).map(toResolved)];
  const duplicates = ownerDuplicates(everyDeclaration, await ownerKeys(everyDeclaration, snapshot, engine));
  if (duplicates.length > 0) throw new DeclarationConflictError(duplicates);
  const plans = await lifecycle.planAll(desired, snapshot, previousOf(opts, claimed), mode);
  const versions = opts.versionNames ?? new VersionNames(engine);
  await versions.resolve(plans);
  const adoptions = new Set(claimed ? plans.filter((p) => p.observed && !claimed.entries[p.key]).map((p) => p.key) : []);

  const declared = new Set([...desired.map((d) => d.key), ...suspended.map((s) => s.key)]);
  const inScope = (entry: StateEntry) => !declared.has(entry.key) && inRun(entry);
  const { moved } = checkBindings(plans, claimed, inScope);
  const state =
    claimed &&
    narrowToDeclared(claimed, plans, opts, suspended, (owner, name) => snapshot.find(me && isMe(owner) ? me.username : owner, name)?.id);
  // Workspaces that stay bound after this run, and to what: a prune never deletes one of them.
  const liveIds = new Map<string, string>();
  for (const entry of Object.values(state?.entries ?? {})) if (!inScope(entry)) liveIds.set(entry.id, entry.key);
  for (const p of plans) if (p.observed) liveIds.set(p.observed.id, p.key);
  // A workspace a declaration names by owner and name is declared, even when that declaration is bound to
  // another one (its old entry moved elsewhere, say): which of the two the user meant is not for prune to guess.
  for (const d of [
    ...desired,
    ...suspended.map((s) => ({ key: s.key, owner: me && isMe(s.owner) ? me.username : s.owner, name: s.name })),
  ]) {
    const named = snapshot.find(d.owner, d.name);
    if (named && !liveIds.has(named.id)) liveIds.set(named.id, d.key);
  }
  const prunes: PrunePlan[] = [];
  // A createDelete set removes its leaving members' children whether or not --prune is given: the set said so.
  if ((opts.prune || removals.size > 0) && state) {
    for (const entry of Object.values(state.entries)) {
      if (!inScope(entry)) continue;
      if (!opts.prune && !removals.has(entry.key)) continue;
      const keptFor = moved.get(entry.key) ?? liveIds.get(entry.id);
      const observed = keptFor === undefined ? snapshot.get(entry.id) : undefined;
      // The policy prune acts on: Delete only on positive evidence (deletable()); renderers read it from the entry.
      const policy = deletable(entry) ? 'Delete' : 'Orphan';
      const acted = { ...entry, deletionPolicy: policy } satisfies StateEntry;
      const desiredStub: DesiredWorkspace = {
        key: entry.key,
        source: { file: opts.statePath ?? 'state' },
        owner: entry.owner,
        name: entry.name,
        parameters: [],
        deletionPolicy: policy,
        boundId: entry.id,
      };
      const actions = diffDelete(observed, policy);
      prunes.push({
        entry: acted,
        observed,
        plan: { key: entry.key, desired: desiredStub, observed, actions, blocked: [], drift: [] },
        ...(keptFor ? { keptFor } : {}),
      });
    }
  }
  const now = (opts.now ?? (() => new Date()))();
  const previous = previousOf(opts, state);
  const statuses = new Map(plans.map((p) => [p.key, engine.status(p, undefined, { previous: previous(p.key), now })]));
  // A set's kept children are the set's business (its summary says so), not spec.suspend's: no line, no status each.
  const keptBySet = new Set(expanded?.kept.map((k) => k.key));
  const shownSuspended = keptBySet.size > 0 ? suspended.filter((s) => !keptBySet.has(s.key)) : suspended;
  for (const s of shownSuspended) statuses.set(s.key, suspendedStatus(opts.previous?.[s.key], now));
  const deletes = prunes.filter((p) => p.plan.actions.some((a) => a.kind === 'delete')).length;
  const managed = Object.values(state?.entries ?? {}).filter(inRun).length;
  const refusal = pruneRefusal(opts.maxPrune ?? DEFAULT_PRUNE_LIMIT, deletes, managed);
  const spec = opts.rollout?.window;
  const window = spec ? { spec, state: windowState(spec, now) } : undefined;
  return {
    expanded,
    report: {
      plans,
      ...(expanded ? { sets: expanded.summaries, coderUsers: expanded.coderUsers } : {}),
      prunes,
      statuses,
      adoptions,
      suspended: shownSuspended,
      versions,
      ...(window ? { window } : {}),
      ...(refusal ? { pruneRefusal: refusal } : {}),
    },
    state,
    writeAhead: state !== claimed,
    lifecycle,
  };
}

/** The run's WorkspaceSets expanded against Coder; a held set stops the run here, before any write. */
async function expandRunSets(opts: RunOptions, state: StateFile | undefined): Promise<ExpandedSets | undefined> {
  const sets = opts.sets ?? [];
  if (sets.length === 0) return undefined;
  if (!opts.members) throw new Error('WorkspaceSets need a member reader (RunOptions.members)');
  const expanded = await expandSets({
    sets,
    workspaces: opts.declarations,
    state,
    reader: opts.members,
    bounds: { maxMembers: opts.maxMembers ?? 100_000 },
    acknowledged: opts.acknowledgeRemovals ?? [],
    defaultDeletionPolicy: opts.defaultDeletionPolicy,
  });
  if (expanded.errors.length > 0) throw new SetHeldError(expanded.errors, expanded.summaries);
  return expanded;
}

/**
 * Positive evidence that prune may delete: the last declaration recorded
 * for it said `deletionPolicy: Delete` and let this tool write (not
 * managementPolicies [Observe]). An entry of state version 1 has no record
 * of the second, so it is only forgotten.
 */
function deletable(entry: StateEntry): boolean {
  return entry.deletionPolicy === 'Delete' && entry.management === 'Full';
}

function runSource(opts: RunOptions): RunSource {
  if (opts.sources) return opts.sources;
  const cwd = opts.cwd ?? process.cwd();
  return {
    name: FILES_SOURCE,
    record: (file) => (file === '-' ? '-' : resolve(cwd, file)),
    scope: opts.paths.map((p) => (p === '-' ? '-' : resolve(cwd, p))),
  };
}

/** Under --prune, a run that declares no Workspace at all would read as "delete everything recorded here". */
function nothingDeclared(opts: RunOptions): DeclarationConflictError {
  const paths = opts.paths.length > 0 ? opts.paths : ['-'];
  return new DeclarationConflictError(
    paths.map(
      (file): DeclarationError => ({
        file,
        message:
          'declares no Workspace (only CoderConnections, or Lists without items); with --prune that would delete ' +
          'everything recorded under it, so nothing was changed in Coder',
      }),
    ),
  );
}

/**
 * A declaration whose state entry was recorded from a file outside this
 * run's paths may still be declared there: binding it here would let either
 * run's prune delete what the other declares.
 */
function checkRecordedElsewhere(declarations: LoadedWorkspace[], state: StateFile, inRun: (entry: StateEntry) => boolean): void {
  const errors: DeclarationError[] = [];
  for (const d of declarations) {
    const entry = state.entries[d.key];
    if (!entry || inRun(entry)) continue;
    errors.push({
      file: d.source.file,
      document: d.source.document,
      field: 'metadata.name',
      message:
        `${d.key} is recorded in the state as declared in ${entry.source}, which this run did not read; ` +
        'apply both paths together, or give this declaration another metadata.name',
    });
  }
  if (errors.length > 0) throw new DeclarationConflictError(errors);
}

/**
 * What the declarations of this run say about prune, recorded before any
 * write to Coder: a policy that became Orphan, or managementPolicies that
 * became [Observe], narrows every entry bound to that declaration's
 * workspace (the old entry of a metadata.name rename too). Were it recorded
 * only at the end, a run that dies on the way would leave Delete in the
 * state, and a later prune would delete what the last declaration said to
 * keep. Only ever narrowed here, never widened: a suspended declaration,
 * which is not applied, gains nothing.
 */
function narrowToDeclared(
  state: StateFile,
  plans: WorkspacePlan[],
  opts: RunOptions,
  suspended: SuspendedDeclaration[],
  named: (owner: string, name: string) => string | undefined,
): StateFile {
  const byId = new Map<string, Said[]>();
  const byKey = new Map<string, Said[]>();
  const add = (map: Map<string, Said[]>, at: string, said: Said) => map.set(at, [...(map.get(at) ?? []), said]);
  for (const p of plans) {
    const said: Said = { policy: p.desired.deletionPolicy, management: p.desired.observeOnly ? 'Observe' : 'Full' };
    add(byKey, p.key, said);
    if (p.observed) add(byId, p.observed.id, said);
  }
  const suspendedKeys = new Set(suspended.map((s) => s.key));
  for (const d of opts.declarations) {
    if (!suspendedKeys.has(d.key)) continue;
    const spec = d.workspace.spec;
    const observeOnly = spec.managementPolicies?.includes('Observe') === true && !spec.managementPolicies.includes('*');
    const said: Said = { policy: spec.deletionPolicy ?? opts.defaultDeletionPolicy, management: observeOnly ? 'Observe' : 'Full' };
    add(byKey, d.key, said);
    // Not observed, but it names a workspace: what it says holds for that one too (found by the bench, sequence 18,310).
    const id = named(spec.owner, d.coderName);
    if (id !== undefined) add(byId, id, said);
  }
  const narrowed: StateEntry[] = [];
  for (const entry of Object.values(state.entries)) {
    const said = [...(byKey.get(entry.key) ?? []), ...(byId.get(entry.id) ?? [])];
    const orphan = entry.deletionPolicy === 'Delete' && said.some((w) => w.policy === 'Orphan');
    const observe = entry.management === 'Full' && said.some((w) => w.management === 'Observe');
    if (orphan || observe)
      narrowed.push({ ...entry, ...(orphan ? { deletionPolicy: 'Orphan' } : {}), ...(observe ? { management: 'Observe' } : {}) });
  }
  return narrowed.length > 0 ? recordApplied(state, narrowed) : state;
}

interface Said {
  policy: DeletionPolicy;
  management: Management;
}

/**
 * The previous status of a declaration: sync's status file, with the rollout
 * memory of the state file over it (written last, also before an update's
 * stop build: the start owed if the run is interrupted).
 */
function previousOf(opts: RunOptions, state: StateFile | undefined): (key: string) => WorkspaceStatus | undefined {
  return (key) => {
    const status = opts.previous?.[key];
    const rollout = state?.entries[key]?.rollout;
    return rollout ? { ...status, rollout } : status;
  };
}

export async function runPlan(opts: RunOptions): Promise<PlanReport> {
  const resolved = await withResolvedStatePath(opts);
  const engine = engineFor(resolved);
  return (await prepare(resolved, engine, (state) => lifecycleFor(resolved, engine, state), 'plan')).report;
}

/** A state path that is a symlink is locked, read and written where it points: one state, one lock. */
async function withResolvedStatePath(opts: RunOptions): Promise<RunOptions> {
  return opts.statePath ? { ...opts, statePath: await resolveStatePath(opts.statePath) } : opts;
}

/**
 * With a state file, the whole run holds its lock (state-lock.ts): from
 * before the state is read, so it sees the last run's entries, until after
 * it is written. Taking the lock also proves the state can be written,
 * before the first write to Coder.
 */
export async function runApply(given: RunOptions): Promise<ApplyReport> {
  const opts = await withResolvedStatePath(given);
  const lock = opts.statePath ? await lockState(opts.statePath, 'apply') : undefined;
  try {
    return await applyLocked(opts);
  } finally {
    await lock?.release();
  }
}

async function applyLocked(opts: RunOptions): Promise<ApplyReport> {
  const engine = engineFor(opts);
  const now = opts.now ?? (() => new Date());
  // The state as recorded so far in this run: owed starts are written before their stop builds.
  let recorded: StateFile | undefined;
  let expanded: ExpandedSets | undefined;
  let writing = Promise.resolve();
  const hooks: LifecycleHooks = {
    beforeBuilds: (plans, memory) => {
      if (!recorded || !opts.statePath) return Promise.resolve();
      recorded = Object.keys(memory).length > 0 ? { ...recorded, rollout: memory } : recorded;
      const entries = plans.flatMap((p) =>
        p.observed
          ? [{ ...entryFor(p, { key: p.key, outcomes: [], observed: p.observed }, recorded!, now(), opts, expanded), ...rolloutOf(p) }]
          : [],
      );
      recorded = recordApplied(recorded, entries);
      const snapshot = recorded;
      const path = opts.statePath;
      writing = writing.then(() => writeState(path, snapshot));
      return writing;
    },
  };
  const prepared = await prepare(opts, engine, (s) => lifecycleFor(opts, engine, s, hooks), 'apply');
  const { report, state, writeAhead, lifecycle } = prepared;
  expanded = prepared.expanded;
  if (report.pruneRefusal) throw new PruneLimitError(report.pruneRefusal);
  await opts.onPlanned?.(report);
  if (writeAhead && state && opts.statePath) await writeState(opts.statePath, state);
  recorded = state;
  const stop = () => lifecycle.stop();
  if (opts.signal?.aborted) stop();
  opts.signal?.addEventListener('abort', stop, { once: true });
  const previous = previousOf(opts, state);
  let results: ApplyResult[];
  try {
    results = await lifecycle.applyFirst(report.plans, engine, opts.concurrency);
    // Builds take a while: follow each workspace through the rest of its lifecycle (lifecycle-run.ts).
    await lifecycle.drive(report.plans, results, engine, previous);
  } finally {
    opts.signal?.removeEventListener('abort', stop);
    await writing;
  }
  refuseDoubleBindings(report.plans, results, state, opts.onOutcome);
  const applied: StateEntry[] = [];
  for (const [i, result] of results.entries()) {
    const plan = report.plans[i]!;
    // A plan with nothing to do keeps the status prepare() computed for it.
    if (result.outcomes.length > 0)
      report.statuses.set(plan.key, engine.status(plan, result, { previous: previous(plan.key), now: now() }));
    if (state && result.observed && !result.outcomes.some(isBindingRefusal)) {
      const rollout = report.statuses.get(plan.key)?.rollout;
      // The memory the next run needs: anything but a settled UpToDate.
      const memory = rollout && rollout.state !== 'UpToDate' ? { rollout } : {};
      applied.push({ ...entryFor(plan, result, recorded ?? state, now(), opts, expanded), ...memory });
    }
  }
  // One copy of the state for all entries: recording them one by one would copy it N times.
  let nextState = recorded && withSetMembers(recordApplied(withRolloutMemory(recorded, lifecycle), applied), expanded);

  // A create of this run can land on a workspace a pruned entry binds (a 409 answered by it): it stays.
  const boundNow = new Map<string, string>();
  for (const r of results) if (r.observed) boundNow.set(r.observed.id, r.key);
  const pruneResults: ApplyReport['pruneResults'] = [];
  // Interrupted: a delete is a build too, so none starts; the entries stay and the next run prunes them.
  for (const planned of lifecycle.stopping ? [] : report.prunes) {
    const heldBy = planned.keptFor ?? boundNow.get(planned.entry.id);
    const prune = heldBy !== undefined ? { ...planned, keptFor: heldBy } : planned;
    const outcome = await runPrune(prune, engine, opts);
    pruneResults.push(outcome);
    if (nextState && (outcome.outcome === 'deleted' || outcome.outcome === 'orphaned')) nextState = forget(nextState, prune.entry.key);
  }
  if (nextState && opts.statePath) await writeState(opts.statePath, nextState);
  return {
    ...report,
    results,
    pruneResults,
    ...(lifecycle.stopping ? { interrupted: true } : {}),
    ...(lifecycle.leftInFlight > 0 ? { leftInFlight: lifecycle.leftInFlight } : {}),
  };
}

const IDENTITY_MISMATCHES = new Set(['OwnerMismatch', 'OrganizationMismatch', 'TemplateMismatch']);

/** --max-prune was exceeded; raised before any write. */
export class PruneLimitError extends Error {
  override name = 'PruneLimitError';
}

class BindingRefused extends Error {
  override name = 'BindingRefused';
}

function isBindingRefusal(o: ActionOutcome): boolean {
  return !o.ok && !o.skipped && o.error instanceof BindingRefused;
}

/**
 * The checks before the run cannot see where a create lands: one that got
 * 409 finds the workspace by owner + name, which may be one that another
 * declaration created a moment before (or one the state binds). That result
 * is then not recorded: a failed outcome names the declaration that has it.
 */
function refuseDoubleBindings(
  plans: WorkspacePlan[],
  results: ApplyResult[],
  state: StateFile | undefined,
  onOutcome: RunOptions['onOutcome'],
): void {
  const boundBy = new Map<string, string>();
  for (const e of Object.values(state?.entries ?? {})) boundBy.set(e.id, e.key);
  for (const p of plans) if (p.observed) boundBy.set(p.observed.id, p.key);
  // A workspace this run created belongs to the declaration that created it; adoptions come after.
  const fromCreates = results.filter((r) => r.origin !== undefined && r.observed);
  fromCreates.sort((a, b) => Number(a.origin === 'adopted') - Number(b.origin === 'adopted'));
  for (const r of fromCreates) {
    const ws = r.observed!;
    const other = boundBy.get(ws.id);
    if (other === undefined || other === r.key) {
      boundBy.set(ws.id, r.key);
      continue;
    }
    const outcome: ActionOutcome = {
      action: r.outcomes[0]!.action,
      ok: false,
      error: new BindingRefused(
        `Coder workspace ${ws.ownerName}/${ws.name} (${ws.id}) is already bound to ${other}; not binding it to ${r.key} too`,
      ),
    };
    r.outcomes.push(outcome);
    onOutcome?.(r.key, outcome);
  }
}

function lifecycleFor(opts: RunOptions, engine: WorkspaceEngine, state: StateFile | undefined, hooks: LifecycleHooks = {}): LifecycleRun {
  return new LifecycleRun(engine, opts.rollout ?? DEFAULT_ROLLOUT, opts.now, state?.rollout ?? {}, hooks);
}

/** Each set's members, as this run acted on them: the next run holds an empty expansion after them. */
function withSetMembers(state: StateFile, expanded: ExpandedSets | undefined): StateFile {
  if (!expanded) return state;
  const sets = { ...state.sets };
  for (const s of expanded.summaries) if (!s.held) sets[s.key] = { members: s.members };
  return { ...state, sets };
}

function withRolloutMemory(state: StateFile, lifecycle: LifecycleRun): StateFile {
  const memory = lifecycle.memory();
  const { rollout: _old, ...rest } = state;
  return Object.keys(memory).length > 0 ? { ...rest, rollout: memory } : rest;
}

/** The rollout memory a plan is about to carry out, for the state entry written before its build. */
function rolloutOf(plan: WorkspacePlan): Pick<StateEntry, 'rollout'> {
  const rollout = plan.lifecycle?.rollout;
  return rollout ? { rollout } : {};
}

function engineFor(opts: RunOptions): WorkspaceEngine {
  const onOutcome = opts.onOutcome ? { onOutcome: opts.onOutcome } : {};
  const now = opts.now;
  return new WorkspaceEngine(new CoderWorkspaces(opts.api, opts.owners, onOutcome), {
    coderUrl: opts.coderUrl,
    ...(now ? { now: () => now().getTime() } : {}),
  });
}

function entryFor(
  plan: WorkspacePlan,
  result: ApplyResult,
  state: StateFile,
  at: Date,
  opts: RunOptions,
  expanded: ExpandedSets | undefined,
): StateEntry {
  const ws = result.observed!;
  const previous = state.entries[plan.key];
  const source = runSource(opts);
  // A declaration whose owner, organization or template is not its workspace's does not manage it: no evidence
  // for prune. It may take rights away (Orphan, Observe), never add them (found by the prune property).
  const narrowOnly = plan.blocked.some((b) => IDENTITY_MISMATCHES.has(b.reason));
  return {
    key: plan.key,
    id: ws.id,
    owner: plan.desired.owner,
    ownerId: ws.ownerId,
    name: ws.name,
    organizationId: ws.organizationId,
    origin: previous?.origin ?? result.origin ?? 'adopted',
    deletionPolicy: narrowOnly && previous?.deletionPolicy !== 'Delete' ? 'Orphan' : plan.desired.deletionPolicy,
    management: plan.desired.observeOnly || (narrowOnly && previous?.management !== 'Full') ? 'Observe' : 'Full',
    source: source.record(plan.desired.source.file),
    ...(source.repository ? { repository: source.repository.url, ref: source.repository.ref } : {}),
    lastAppliedAt: at.toISOString(),
    ...expanded?.childOf.get(plan.key),
  };
}

async function runPrune(prune: PrunePlan, engine: WorkspaceEngine, opts: RunOptions): Promise<ApplyReport['pruneResults'][number]> {
  const key = prune.entry.key;
  // prepare() put the policy prune acts on into the entry; the evidence is checked again at the one place that deletes.
  if (!deletable(prune.entry) || prune.keptFor !== undefined) return { key, outcome: 'orphaned' };
  if (!prune.observed) return { key, outcome: 'deleted' }; // already gone
  let buildId: string | undefined;
  if (prune.plan.actions.length === 0) {
    buildId = prune.observed.latestBuild.id; // a delete build is already under way
  } else {
    const result = await engine.apply(prune.plan);
    const [failed] = failuresOf(result);
    if (failed) return { key, outcome: 'failed', error: failed.error };
    buildId = result?.deleteBuildId;
  }
  if (!buildId) return { key, outcome: 'failed', error: new Error('no delete build was started') };
  const status = await engine.waitForBuild(buildId, { timeoutMs: opts.deleteTimeoutMs, pollMs: 250 });
  if (status === 'succeeded') return { key, outcome: 'deleted' };
  if (status === 'timeout') return { key, outcome: 'timeout' };
  return { key, outcome: 'failed', error: new Error(`the delete build ended ${status}`) };
}
