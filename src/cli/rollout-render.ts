// How plan and apply show the rollout of version and parameter updates:
// one line per workspace whose update is pending (with its reason and the
// versions it moves between), blocked or failed, one note per wish Coder's
// own schedule will undo, and a summary by state (text, markdown and the
// JSON counts share it).
import {
  PENDING_SUMMARY,
  pendingOf,
  pendingReasonOf,
  type PendingReason,
  type WorkspacePlan,
  versionChangeOf,
  type VersionNames,
} from '../engine/index.ts';

interface RolloutCounts {
  upToDate: number;
  updating: number;
  waitingForWindow: number;
  waitingForStop: number;
  waitingForSlot: number;
  /** The rollout waits for these only when the connection asks for it: absent while 0. */
  waitingForIdle?: number;
  waitingForStep?: number;
  halted?: number;
  blocked: number;
  failed: number;
  rolledBack: number;
}

const PENDING_KEY: Record<PendingReason, keyof RolloutCounts> = {
  window: 'waitingForWindow',
  stop: 'waitingForStop',
  slot: 'waitingForSlot',
  idle: 'waitingForIdle',
  step: 'waitingForStep',
  halted: 'halted',
};

const OTHER_KEY: Readonly<Record<string, keyof RolloutCounts>> = {
  UpToDate: 'upToDate',
  Updating: 'updating',
  Blocked: 'blocked',
  Failed: 'failed',
  RollingBack: 'updating',
  RolledBack: 'rolledBack',
};

/** undefined when no declaration manages a version or parameters. */
export function rolloutCounts(plans: WorkspacePlan[]): RolloutCounts | undefined {
  let any = false;
  const counts: RolloutCounts = {
    upToDate: 0,
    updating: 0,
    waitingForWindow: 0,
    waitingForStop: 0,
    waitingForSlot: 0,
    waitingForIdle: 0,
    waitingForStep: 0,
    halted: 0,
    blocked: 0,
    failed: 0,
    rolledBack: 0,
  };
  for (const p of plans) {
    const state = p.lifecycle?.rollout?.state;
    if (state === undefined) continue;
    any = true;
    const reason = pendingReasonOf(state);
    const key = reason ? PENDING_KEY[reason] : OTHER_KEY[state];
    if (key) counts[key] = (counts[key] ?? 0) + 1;
  }
  return any ? counts : undefined;
}

export function rolloutSummary(plans: WorkspacePlan[], verb: 'plan' | 'apply'): string | undefined {
  const c = rolloutCounts(plans);
  if (!c) return undefined;
  const extra = (['idle', 'step', 'halted'] as const)
    .filter((r) => (c[PENDING_KEY[r]] ?? 0) > 0)
    .map((r) => `${c[PENDING_KEY[r]]} ${PENDING_SUMMARY[r]}, `)
    .join('');
  // Only declarations that manage spec.version or spec.parameters have a rollout: say how many of all.
  const managed = Object.values(c).reduce((a, b) => a + (b ?? 0), 0);
  return (
    `Rollout (${managed} of ${plans.length} workspace(s) manage their version or parameters): ${c.upToDate} up to date, ${c.updating} ${verb === 'plan' ? 'to update' : 'updating'}, ` +
    `${c.waitingForWindow} ${PENDING_SUMMARY.window}, ${c.waitingForStop} ${PENDING_SUMMARY.stop}, ` +
    `${c.waitingForSlot} ${PENDING_SUMMARY.slot}, ${extra}${c.blocked} blocked, ${c.failed} failed${c.rolledBack > 0 ? `, ${c.rolledBack} rolled back` : ''}.`
  );
}

/** What a pending or failed update is: `template version v1 → v2`, the parameters it changes. */
export function updateWhat(plan: WorkspacePlan, versions?: VersionNames): string {
  const change = versions?.change(plan.key) ?? versionChangeOf(plan);
  const parts: string[] = [];
  if (change) {
    const label = (v: { id: string; name?: string }) => v.name ?? versions?.label(v.id) ?? v.id;
    parts.push(`template version ${label(change.from)} → ${label(change.to)}`);
  }
  const params = plan.desired.parametersManaged && !change ? 'parameters' : undefined;
  if (params) parts.push(params);
  return parts.join(' and ') || 'update';
}

/** Lines for updates that do not go ahead now, and for schedule conflicts worth knowing. */
export function rolloutLines(plan: WorkspacePlan, versions?: VersionNames): string[] {
  const lines: string[] = [];
  const r = plan.lifecycle?.rollout;
  const pending = pendingOf(plan);
  if (pending) lines.push(`~ pending ${plan.key} (${updateWhat(plan, versions)}; ${pending.reason}): ${pending.message}`);
  else if (r?.state === 'Failed' || r?.state === 'RolledBack') lines.push(`! failed ${plan.key}: ${r.message}`);
  else if (r && !['UpToDate', 'Updating', 'Blocked'].includes(r.state)) lines.push(`. ${r.state} ${plan.key}: ${r.message}`);
  const conflict = plan.lifecycle?.conflict;
  if (conflict && !plan.blocked.some((b) => b.reason === 'ScheduleConflict')) lines.push(`. note ${plan.key}: ${conflict.message}`);
  return lines;
}
