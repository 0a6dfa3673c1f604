// How plan and apply show the rollout of version and parameter updates:
// one line per workspace whose update waits, is blocked or failed, one note
// per wish Coder's own schedule will undo, and a summary by state (text,
// markdown and the JSON counts share it).
import type { RolloutState } from '../api/schema.ts';
import type { WorkspacePlan } from '../engine/types.ts';

export interface RolloutCounts {
  upToDate: number;
  updating: number;
  waitingForWindow: number;
  waitingForStop: number;
  waitingForSlot: number;
  blocked: number;
  failed: number;
}

const KEY_OF: Record<RolloutState, keyof RolloutCounts> = {
  UpToDate: 'upToDate',
  Updating: 'updating',
  WaitingForWindow: 'waitingForWindow',
  WaitingForStop: 'waitingForStop',
  WaitingForSlot: 'waitingForSlot',
  Blocked: 'blocked',
  Failed: 'failed',
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
    blocked: 0,
    failed: 0,
  };
  for (const p of plans) {
    const state = p.lifecycle?.rollout?.state;
    if (state === undefined) continue;
    any = true;
    counts[KEY_OF[state]]++;
  }
  return any ? counts : undefined;
}

export function rolloutSummary(plans: WorkspacePlan[], verb: 'plan' | 'apply'): string | undefined {
  const c = rolloutCounts(plans);
  if (!c) return undefined;
  // Only declarations that manage spec.version or spec.parameters have a rollout: say how many of all.
  const managed = Object.values(c).reduce((a, b) => a + b, 0);
  return (
    `Rollout (${managed} of ${plans.length} workspace(s) manage their version or parameters): ${c.upToDate} up to date, ${c.updating} ${verb === 'plan' ? 'to update' : 'updating'}, ` +
    `${c.waitingForWindow} waiting for the window, ${c.waitingForStop} waiting for a stop, ${c.waitingForSlot} waiting for a slot, ` +
    `${c.blocked} blocked, ${c.failed} failed.`
  );
}

/** Lines for updates that do not go ahead now, and for schedule conflicts worth knowing. */
export function rolloutLines(plan: WorkspacePlan): string[] {
  const lines: string[] = [];
  const r = plan.lifecycle?.rollout;
  if (r && r.state !== 'UpToDate' && r.state !== 'Updating' && r.state !== 'Blocked')
    lines.push(`. wait ${plan.key} (${r.state}): ${r.message}`);
  if (r?.state === 'Failed') lines[lines.length - 1] = `! failed ${plan.key}: ${r.message}`;
  const conflict = plan.lifecycle?.conflict;
  if (conflict && !plan.blocked.some((b) => b.reason === 'ScheduleConflict')) lines.push(`. note ${plan.key}: ${conflict.message}`);
  return lines;
}
