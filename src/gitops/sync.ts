// One tick of `sync`: fetch, resolve the ref, and when the commit is new (or
// the resync period is up) validate the whole tree at that commit and
// converge Coder to it. A commit that fails in any way applies nothing from
// itself and leaves the last applied revision in force; the next tick tries
// again, so the loop recovers on its own once the repository is fixed.
import type { Logger } from 'pino';
import { UsageError } from './usage-error.ts';
import { CoderApiError, CoderNetworkError } from '../coder/errors.ts';
import { FIELD_OF } from '../engine/index.ts';
import type { OperatorMetrics } from '../observability/metrics.ts';
import { scrub } from '../observability/logger.ts';
import { gitSources, normalizePath, SourceError, treeSources, type GitSource } from './git-source.ts';
import { formatDeclarationError, loadFromSources, type LoadResult } from './load.ts';
import { applyErrors } from './apply-errors.ts';
import { runApply, type ApplyReport, type RunOptions } from './run.ts';
import { connectionRefWarnings } from './operator-fields.ts';
import { DeclarationConflictError } from './identity.ts';
import { SetHeldError } from './set-expansion.ts';
import { emptySyncStatus, writeSyncStatus, type SyncError, type SyncReason, type SyncStatusFile } from './sync-status.ts';

/** What Coder access a tick needs; connected lazily, so a broken repository costs no Coder call. */
export type CoderSession = Pick<RunOptions, 'api' | 'owners' | 'coderUrl' | 'me' | 'members' | 'maxMembers'>;

interface SyncOptions {
  source: GitSource;
  ref: string;
  path: string;
  connect(): Promise<CoderSession>;
  /** Ends a tick's use of the session (owner tokens minted for favorites are deleted). */
  release?(): Promise<void>;
  run: Pick<
    RunOptions,
    | 'statePath'
    | 'stateSourceTakeover'
    | 'prune'
    | 'maxPrune'
    | 'defaultDeletionPolicy'
    | 'concurrency'
    | 'deleteTimeoutMs'
    | 'onOutcome'
    | 'rollout'
    | 'signal'
    | 'acknowledgeRemovals'
  >;
  statusPath?: string;
  /** Re-plan an unchanged commit this often, to correct drift made in Coder. */
  resyncMs: number;
  allowHistoryRewrite: boolean;
  logger: Logger;
  metrics?: OperatorMetrics;
  /** Where a previous run left off (the status file), if anywhere. */
  previous?: SyncStatusFile;
  now?: () => Date;
}

/** How often consecutive Unchanged ticks still refresh the status file (its lastAttemptTime). */
const UNCHANGED_REWRITE_MS = 60_000;

/**
 * Applied: Coder was changed; UpToDate: planned, nothing to change; Unchanged: same commit, resync not due;
 * Interrupted: run.signal stopped the apply part-way (the revision is not recorded as applied).
 */
export type TickResult = 'Applied' | 'UpToDate' | 'Unchanged' | 'Interrupted' | SyncReason;

/** What an interrupted tick left for the next run (recorded in the state file). */
interface Interruption {
  /** Starts owed after an update's stop build. */
  owedStarts: number;
  /** Builds still running in Coder that the tick stopped waiting for. */
  leftInFlight: number;
}

export class SyncTicker {
  readonly status: SyncStatusFile;
  /** Set when the last tick's apply was interrupted (SyncOptions.run.signal). */
  interruption: Interruption | undefined;
  readonly #opts: SyncOptions;
  readonly #now: () => Date;
  /** When a plan last ran; undefined until the first, so every start is a drift check. */
  #lastPlanAt: number | undefined;
  /** A commit known to be invalid or rewritten: not re-examined (and re-logged) every tick, only on resync. */
  #rejected: { commit: string; result: SyncReason; errors: SyncError[] } | undefined;
  /**
   * The declarations of the last commit read. A tree at a commit never
   * changes, so a resync of the same revision skips git and YAML: over
   * 10,000 documents that is most of an idle resync's CPU.
   */
  #loaded: { commit: string; result: LoadResult } | undefined;
  /** The result and time of the last status-file write. */
  #written: { result: TickResult; at: number } | undefined;

  constructor(opts: SyncOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? (() => new Date());
    const p = opts.previous;
    const same = p && p.repo === opts.source.display && p.ref === opts.ref && normalizePath(p.path) === normalizePath(opts.path);
    if (p && !same)
      opts.logger.warn(
        { was: { repo: p.repo, ref: p.ref, path: p.path } },
        'the status file was written for another repository, ref or path; starting afresh',
      );
    this.status = same
      ? { ...p, errors: [...p.errors], workspaces: { ...p.workspaces } }
      : emptySyncStatus(opts.source.display, opts.ref, opts.path);
  }

  async tick(): Promise<TickResult> {
    const started = this.#now();
    this.interruption = undefined;
    const result = await this.#tick(started).catch((e: unknown) => this.#fail(classify(e), [{ reason: classify(e), message: message(e) }]));
    this.status.lastAttemptTime = started.toISOString();
    this.status.result = result;
    this.#opts.metrics?.syncRuns.inc({ result });
    if (this.#opts.statusPath && !this.#quietTick(result, started)) {
      await writeSyncStatus(this.#opts.statusPath, this.status);
      this.#written = { result, at: started.getTime() };
    }
    return result;
  }

  /**
   * A tick that found the same commit with no resync due changes nothing in
   * the status file but lastAttemptTime. Rewriting the whole file (8 MB for
   * 10,000 workspaces) every tick was most of an idle loop's CPU, so such a
   * tick refreshes the file at most once a minute.
   */
  #quietTick(result: TickResult, started: Date): boolean {
    const last = this.#written;
    return result === 'Unchanged' && last?.result === 'Unchanged' && started.getTime() - last.at < UNCHANGED_REWRITE_MS;
  }

  async #tick(started: Date): Promise<TickResult> {
    const { source, ref, logger } = this.#opts;
    await source.fetch(ref.startsWith('refs/') ? [ref] : []);
    const commit = await source.resolve(ref);
    const resyncDue = this.#lastPlanAt === undefined || started.getTime() - this.#lastPlanAt >= this.#opts.resyncMs;
    const applied = this.status.lastAppliedRevision;
    if (!resyncDue && commit === applied) {
      this.status.errors = [];
      return 'Unchanged';
    }
    if (!resyncDue && commit === this.#rejected?.commit) {
      this.status.errors = this.#rejected.errors;
      return this.#rejected.result;
    }
    this.status.lastAttemptedRevision = commit;

    if (applied && commit !== applied && !this.#opts.allowHistoryRewrite && !(await source.isAncestor(applied, commit))) {
      const rejected = this.#reject(commit, 'HistoryRewritten', [
        {
          reason: 'HistoryRewritten',
          message:
            `${ref} moved to ${commit.slice(0, 12)}, which does not descend from the last applied revision ${applied.slice(0, 12)} ` +
            '(a force-push or a reset); nothing applied. Push a commit on top of it, or run with --allow-history-rewrite',
        },
      ]);
      await this.#keepInForce(applied, resyncDue, started);
      return rejected;
    }

    const loaded = await this.#load(commit);
    if (loaded.errors.length > 0) {
      const errors = loaded.errors.map((e): SyncError => ({ ...e, reason: 'InvalidDeclarations', message: e.message }));
      for (const e of loaded.errors) logger.error({ revision: commit }, `invalid declaration: ${formatDeclarationError(e)}`);
      const rejected = this.#reject(
        commit,
        'InvalidDeclarations',
        errors,
        `${commit.slice(0, 12)}: ${loaded.errors.length} invalid document error(s); nothing applied`,
      );
      if (applied) await this.#keepInForce(applied, resyncDue, started);
      return rejected;
    }

    const { report, errors, wrote } = await this.#converge(loaded, started);
    this.#rejected = undefined;
    if (report.interrupted) {
      // Part-way: not the applied revision. What is owed is in the state file; the next run finishes it.
      const owedStarts = [...report.statuses.values()].filter((st) => st.rollout?.restart === true).length;
      this.interruption = { owedStarts, leftInFlight: report.leftInFlight ?? 0 };
      this.status.errors = errors;
      logger.warn({ revision: commit, ...this.interruption }, 'sync interrupted: no new build was started');
      return 'Interrupted';
    }
    const result: TickResult = errors.length > 0 ? 'ApplyFailed' : wrote ? 'Applied' : 'UpToDate';
    if (errors.length > 0)
      return this.#fail('ApplyFailed', errors, `${commit.slice(0, 12)}: ${errors.length} workspace(s) could not be converged`);

    this.status.lastAppliedRevision = commit;
    this.status.lastAppliedTime = this.#now().toISOString();
    this.status.errors = [];
    this.#opts.metrics?.setLastAppliedRevision(source.display, ref, commit);
    logger.info({ revision: commit, result, workspaces: report.plans.length }, 'sync applied');
    return result;
  }

  async #load(commit: string): Promise<LoadResult> {
    if (this.#loaded?.commit === commit) return this.#loaded.result;
    const result = loadFromSources(treeSources(await this.#opts.source.readTree(commit, this.#opts.path)));
    // Once per commit read, not every resync: the load is kept below.
    for (const warning of connectionRefWarnings(result.workspaces)) this.#opts.logger.warn({ revision: commit }, warning);
    this.#loaded = { commit, result };
    return result;
  }

  /** Plans and applies validated declarations; the one place a tick writes to Coder. */
  async #converge(loaded: LoadResult, started: Date): Promise<{ report: ApplyReport; errors: SyncError[]; wrote: boolean }> {
    const session = await this.#opts.connect();
    let report: ApplyReport;
    const timer = this.#opts.metrics?.reconcileDuration.startTimer();
    try {
      report = await runApply({
        ...this.#opts.run,
        ...session,
        declarations: loaded.workspaces,
        sets: loaded.sets,
        paths: [this.#opts.path],
        // Stable names in the state whatever the cache dir; prune stays inside --path of this repository.
        sources: gitSources(this.#opts.source.display, this.#opts.ref, this.#opts.path),
        previous: this.status.workspaces,
        now: this.#now,
      });
    } finally {
      await this.#opts.release?.();
    }
    this.#lastPlanAt = started.getTime();
    this.status.workspaces = Object.fromEntries(report.statuses);
    const errors = applyErrors(report);
    const wrote = report.results.some((r) => r.outcomes.some((o) => o.ok)) || report.pruneResults.length > 0 || report.adoptions.size > 0;
    timer?.({ result: errors.length > 0 ? 'ApplyFailed' : wrote ? 'Applied' : 'UpToDate' });
    this.#opts.metrics?.recordStatuses(report.statuses.values(), correctedDrift(report));
    return { report, errors, wrote };
  }

  /**
   * While the head of the ref is rejected, the last applied revision stays
   * in force: on the resync period its declarations are converged again, so
   * drift made in Coder is still corrected. The rejection stays the result.
   */
  async #keepInForce(applied: string, resyncDue: boolean, started: Date): Promise<void> {
    if (!resyncDue) return;
    try {
      const loaded = await this.#load(applied);
      if (loaded.errors.length > 0) return;
      const { errors } = await this.#converge(loaded, started);
      for (const e of errors) this.#opts.logger.error({ revision: applied }, `keeping the last applied revision in force: ${e.message}`);
    } catch (error) {
      this.#opts.logger.warn({ revision: applied }, `could not re-apply the last applied revision: ${message(error)}`);
    }
  }

  #reject(commit: string, reason: SyncReason, errors: SyncError[], summary?: string): SyncReason {
    this.#rejected = { commit, result: reason, errors };
    return this.#fail(reason, errors, summary);
  }

  #fail(reason: SyncReason, errors: SyncError[], summary?: string): SyncReason {
    this.status.errors = errors;
    this.#opts.logger.error(
      { reason, lastAppliedRevision: this.status.lastAppliedRevision ?? null },
      summary ?? errors.map((e) => e.message).join('; '),
    );
    return reason;
  }
}

/** Drift fields of existing workspaces whose correcting call succeeded. */
function correctedDrift(report: ApplyReport): string[] {
  return report.results.flatMap((r, i) => {
    const plan = report.plans[i]!;
    if (!plan.observed) return [];
    const done = new Set(r.outcomes.filter((o) => o.ok).map((o) => FIELD_OF[o.action.kind as keyof typeof FIELD_OF]));
    return plan.drift.filter((f) => done.has(f));
  });
}

function classify(e: unknown): SyncReason {
  if (e instanceof SourceError) return e.reason;
  if (e instanceof SetHeldError) return 'SetHeld';
  if (e instanceof DeclarationConflictError) return 'InvalidDeclarations';
  if (e instanceof CoderApiError || e instanceof CoderNetworkError) return 'CoderUnavailable';
  if (e instanceof UsageError) return 'CoderUnavailable';
  return 'ApplyFailed';
}

function message(e: unknown): string {
  return scrub(e instanceof Error ? e.message : String(e));
}
