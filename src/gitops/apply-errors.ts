// What went wrong in an apply, one entry per failed action, blocked field and
// failed prune. The one answer to "did the apply fail": `apply` exits
// non-zero on it and `sync` records it in the status file.
import { describeFailure } from '../engine/failure.ts';
import { failuresOf } from '../engine/engine.ts';
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
    for (const b of p.blocked)
      errors.push({ reason: 'ApplyFailed', workspace: p.key, field: b.field, message: `${b.reason}: ${b.message}` });
  }
  for (const p of report.pruneResults) {
    if (p.outcome !== 'failed' && p.outcome !== 'timeout') continue;
    const why = p.error instanceof Error ? `: ${p.error.message}` : '';
    errors.push({ reason: 'ApplyFailed', workspace: p.key, message: `prune ${p.outcome}${why}` });
  }
  return errors.map((e) => ({ ...e, message: scrub(e.message) }));
}
