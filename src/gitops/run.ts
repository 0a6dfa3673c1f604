// plan / apply over declarations from files: load and validate everything,
// observe Coder once, diff, and (for apply) converge and record what this
// tool manages. Nothing is written to Coder unless every document is valid.
import { resolve, sep } from 'node:path';
import type { DeletionPolicy } from '../api/schema.ts';
import type { CoderApi } from '../coder/api.ts';
import { waitForBuild, type ApplyResult } from '../engine/apply.ts';
import { toDesired } from '../engine/desired.ts';
import { diffDelete } from '../engine/diff.ts';
import { failuresOf, WorkspaceEngine } from '../engine/engine.ts';
import { CoderWorkspaces, type OwnerApis } from '../engine/external.ts';
import { DEFAULT_ROLLOUT, LifecycleRun, type RolloutOptions } from './lifecycle-run.ts';
import type { ActionOutcome, DesiredWorkspace, ObservedWorkspace, WorkspacePlan } from '../engine/types.ts';
import type { WorkspaceStatus } from '../api/schema.ts';
import type { LoadedWorkspace } from './load.ts';
import { forget, readState, recordApplied, writeState, type StateEntry, type StateFile } from './state.ts';
import { splitSuspended, suspendedStatus, type SuspendedDeclaration } from './operator-fields.ts';
import { lockState } from './state-lock.ts';
import { checkBindings, ownerDuplicates, ownerKeys, DeclarationConflictError } from './identity.ts';
import { DEFAULT_PRUNE_LIMIT, pruneRefusal, type PruneLimit } from './prune-limit.ts';

export interface RunOptions {
  /** Validated declarations (loadDeclarations() ran, and found no error). */
  declarations: LoadedWorkspace[];
  /** The paths the declarations were loaded from (`-f`): the scope of prune. */
  paths: string[];
  /** Directory relative paths are resolved against; default process.cwd(). */
  cwd?: string;
  /**
   * How a declaration's file is named in the state (`source`) and which
   * recorded sources prune may touch. Default: absolute file paths, scope =
   * `paths` resolved against cwd. Git sources pass `git:<path>` names here,
   * so the state does not depend on where a clone happens to live.
   */
  sources?: { record(file: string): string; scope: string[] };
  /** Statuses of the previous run (sync): conditions keep their transition times, drift is judged against them. */
  previous?: Record<string, WorkspaceStatus>;
  api: CoderApi;
  owners: OwnerApis;
  coderUrl: string;
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
  /**
   * apply: the plan is made and nothing is written yet (the CLI checks it
   * against Coder and its progress learns the total). Throwing stops the
   * apply before its first write.
   */
  onPlanned?: (report: PlanReport) => void | Promise<void>;
}

/** A workspace the state records but no declaration names any more. */
export interface PrunePlan {
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
}

export interface ApplyReport extends PlanReport {
  results: ApplyResult[];
  pruneResults: { key: string; outcome: 'deleted' | 'orphaned' | 'failed' | 'timeout'; error?: unknown }[];
}

interface Prepared {
  report: PlanReport;
  state: StateFile | undefined;
}

async function prepare(opts: RunOptions, engine: WorkspaceEngine, lifecycle: LifecycleRun, mode: 'plan' | 'apply'): Promise<Prepared> {
  const state = opts.statePath ? await readState(opts.statePath, opts.coderUrl) : undefined;
  const { active, suspended } = splitSuspended(opts.declarations);
  const desired = active.map((w) =>
    toDesired(w.workspace, w.source, { deletionPolicy: opts.defaultDeletionPolicy }, state?.entries[w.key]?.id),
  );
  const { snapshot } = await engine.observe(desired);
  const duplicates = ownerDuplicates(desired, await ownerKeys(desired, snapshot, opts.api));
  if (duplicates.length > 0) throw new DeclarationConflictError(duplicates);
  const plans = await lifecycle.planAll(desired, snapshot, (key) => opts.previous?.[key], mode);
  const adoptions = new Set(state ? plans.filter((p) => p.observed && !state.entries[p.key]).map((p) => p.key) : []);

  const declared = new Set([...desired.map((d) => d.key), ...suspended.map((s) => s.key)]);
  const scope = opts.sources?.scope ?? opts.paths.map((p) => (p === '-' ? '-' : resolve(opts.cwd ?? process.cwd(), p)));
  const inScope = (entry: StateEntry) => !declared.has(entry.key) && withinScope(entry.source, scope);
  const { moved } = checkBindings(plans, state, inScope);
  // Workspaces that stay bound after this run, and to what: a prune never deletes one of them.
  const liveIds = new Map<string, string>();
  for (const entry of Object.values(state?.entries ?? {})) if (!inScope(entry)) liveIds.set(entry.id, entry.key);
  for (const p of plans) if (p.observed) liveIds.set(p.observed.id, p.key);
  const prunes: PrunePlan[] = [];
  if (opts.prune && state) {
    for (const entry of Object.values(state.entries)) {
      if (!inScope(entry)) continue;
      const keptFor = moved.get(entry.key) ?? liveIds.get(entry.id);
      const observed = keptFor === undefined ? snapshot.get(entry.id) : undefined;
      const desiredStub: DesiredWorkspace = {
        key: entry.key,
        source: { file: opts.statePath ?? 'state' },
        owner: entry.owner,
        name: entry.name,
        parameters: [],
        deletionPolicy: entry.deletionPolicy,
        boundId: entry.id,
      };
      const actions = diffDelete(observed, entry.deletionPolicy);
      prunes.push({
        entry,
        observed,
        plan: { key: entry.key, desired: desiredStub, observed, actions, blocked: [], drift: [] },
        ...(keptFor ? { keptFor } : {}),
      });
    }
  }
  const now = (opts.now ?? (() => new Date()))();
  const statuses = new Map(plans.map((p) => [p.key, engine.status(p, undefined, { previous: opts.previous?.[p.key], now })]));
  for (const s of suspended) statuses.set(s.key, suspendedStatus(opts.previous?.[s.key], now));
  const deletes = prunes.filter((p) => p.plan.actions.some((a) => a.kind === 'delete')).length;
  const managed = Object.values(state?.entries ?? {}).filter((e) => withinScope(e.source, scope)).length;
  const refusal = pruneRefusal(opts.maxPrune ?? DEFAULT_PRUNE_LIMIT, deletes, managed);
  return { report: { plans, prunes, statuses, adoptions, suspended, ...(refusal ? { pruneRefusal: refusal } : {}) }, state };
}

export async function runPlan(opts: RunOptions): Promise<PlanReport> {
  return (await prepare(opts, engineFor(opts), lifecycleFor(opts), 'plan')).report;
}

/**
 * With a state file, the whole run holds its lock (state-lock.ts): from
 * before the state is read, so it sees the last run's entries, until after
 * it is written. Taking the lock also proves the state can be written,
 * before the first write to Coder.
 */
export async function runApply(opts: RunOptions): Promise<ApplyReport> {
  const lock = opts.statePath ? await lockState(opts.statePath, 'apply') : undefined;
  try {
    return await applyLocked(opts);
  } finally {
    await lock?.release();
  }
}

async function applyLocked(opts: RunOptions): Promise<ApplyReport> {
  const engine = engineFor(opts);
  const lifecycle = lifecycleFor(opts);
  const { report, state } = await prepare(opts, engine, lifecycle, 'apply');
  if (report.pruneRefusal) throw new PruneLimitError(report.pruneRefusal);
  await opts.onPlanned?.(report);
  const now = opts.now ?? (() => new Date());
  const results = await engine.applyAll(report.plans, opts.concurrency);
  // Builds take a while: follow each workspace through the rest of its lifecycle (lifecycle-run.ts).
  await lifecycle.drive(report.plans, results, engine, (key) => opts.previous?.[key]);
  refuseDoubleBindings(report.plans, results, state, opts.onOutcome);
  const applied: StateEntry[] = [];
  for (const [i, result] of results.entries()) {
    const plan = report.plans[i]!;
    // A plan with nothing to do keeps the status prepare() computed for it.
    if (result.outcomes.length > 0)
      report.statuses.set(plan.key, engine.status(plan, result, { previous: opts.previous?.[plan.key], now: now() }));
    if (state && result.observed && !result.outcomes.some(isBindingRefusal)) applied.push(entryFor(plan, result, state, now(), opts));
  }
  // One copy of the state for all entries: recording them one by one would copy it N times.
  let nextState = state && recordApplied(state, applied);

  const pruneResults: ApplyReport['pruneResults'] = [];
  for (const prune of report.prunes) {
    const outcome = await runPrune(prune, engine, opts);
    pruneResults.push(outcome);
    if (nextState && (outcome.outcome === 'deleted' || outcome.outcome === 'orphaned')) nextState = forget(nextState, prune.entry.key);
  }
  if (nextState && opts.statePath) await writeState(opts.statePath, nextState);
  return { ...report, results, pruneResults };
}

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

function lifecycleFor(opts: RunOptions): LifecycleRun {
  return new LifecycleRun(opts.api, opts.rollout ?? DEFAULT_ROLLOUT, opts.coderUrl, opts.now);
}

function engineFor(opts: RunOptions): WorkspaceEngine {
  const onOutcome = opts.onOutcome ? { onOutcome: opts.onOutcome } : {};
  return new WorkspaceEngine(new CoderWorkspaces(opts.api, opts.owners, onOutcome), { coderUrl: opts.coderUrl });
}

/** Is a declaration's file one of, or inside one of, the paths this run was given? */
function withinScope(source: string, scope: string[]): boolean {
  return scope.some((p) => source === p || (p !== '-' && source.startsWith(directoryPrefix(p))));
}

/** Git scopes (`git:dir`, `git:` for the whole repository) always use `/`; files use the platform's separator. */
function directoryPrefix(p: string): string {
  if (p === 'git:' || p.endsWith(sep) || p.endsWith('/')) return p;
  return p + (p.startsWith('git:') ? '/' : sep);
}

function sourcePath(file: string, opts: RunOptions): string {
  if (opts.sources) return opts.sources.record(file);
  return file === '-' ? '-' : resolve(opts.cwd ?? process.cwd(), file);
}

function entryFor(plan: WorkspacePlan, result: ApplyResult, state: StateFile, at: Date, opts: RunOptions): StateEntry {
  const ws = result.observed!;
  const previous = state.entries[plan.key];
  return {
    key: plan.key,
    id: ws.id,
    owner: plan.desired.owner,
    ownerId: ws.ownerId,
    name: ws.name,
    organizationId: ws.organizationId,
    origin: previous?.origin ?? result.origin ?? 'adopted',
    deletionPolicy: plan.desired.deletionPolicy,
    source: sourcePath(plan.desired.source.file, opts),
    lastAppliedAt: at.toISOString(),
  };
}

async function runPrune(prune: PrunePlan, engine: WorkspaceEngine, opts: RunOptions): Promise<ApplyReport['pruneResults'][number]> {
  const key = prune.entry.key;
  if (prune.entry.deletionPolicy === 'Orphan' || prune.keptFor !== undefined) return { key, outcome: 'orphaned' };
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
  const status = await waitForBuild(opts.api, buildId, { timeoutMs: opts.deleteTimeoutMs, pollMs: 250 });
  if (status === 'succeeded') return { key, outcome: 'deleted' };
  if (status === 'timeout') return { key, outcome: 'timeout' };
  return { key, outcome: 'failed', error: new Error(`the delete build ended ${status}`) };
}
