// What went wrong in an apply, one entry per failed action, blocked field and
// failed prune. The one answer to "did the apply fail": `apply` exits
// non-zero on it and `sync` records it in the status file.
import { describeFailure, failuresOf } from '../engine/index.ts';
import { scrub } from '../observability/logger.ts';
import type { ApplyReport } from './run.ts';
import type { SyncError } from './sync-status.ts';

export function applyErrors(report: ApplyReport): SyncError[] {
  const errors: SyncError[] = [];
  for (const r of report.results) {
    for (const { action, error } of failuresOf(r)) {
      const f = describeFailure(action, error);
      errors.push({
        reason: 'ApplyFailed',
        workspace: r.key,
        message: `${f.reason}: ${f.message}`,
        ...(f.field ? { field: f.field } : {}),
      });
    }
  }
  for (const p of report.plans) {
    const failed = updateFailure(report, p.key);
    if (failed) errors.push({ reason: 'ApplyFailed', workspace: p.key, field: 'spec.version', message: failed });
    for (const b of p.blocked)
      errors.push({ reason: 'ApplyFailed', workspace: p.key, field: b.field, message: `${b.reason}: ${b.message}` });
  }
  if (report.interrupted)
    errors.push({
      reason: 'ApplyFailed',
      message: 'interrupted: builds not started are owed to the next apply or sync (recorded in the state file)',
    });
  for (const p of report.pruneResults) {
    if (p.outcome !== 'failed' && p.outcome !== 'timeout') continue;
    const why = p.error instanceof Error ? `: ${p.error.message}` : '';
    errors.push({ reason: 'ApplyFailed', workspace: p.key, message: `prune ${p.outcome}${why}` });
  }
  return errors.map((e) => ({ ...e, message: scrub(e.message) }));
}

/**
 * A failed update (left failed, rolled back, or refused) or an update held by
 * a halted rollout: the fleet is not where the declarations say, so the run
 * failed, also on the runs after it until the spec or the wanted version
 * changes or the rollout is resumed.
 */
export function updateFailure(report: Pick<ApplyReport, 'statuses'>, key: string): string | undefined {
  const rollout = report.statuses.get(key)?.rollout;
  if (!rollout) return undefined;
  if (rollout.state === 'Halted') return `Halted: ${rollout.message}`;
  if (rollout.state === 'RolledBack') return `RolledBack: ${rollout.message}`;
  if (rollout.state === 'Failed') return `UpdateFailed: ${rollout.message}`;
  return undefined;
}
