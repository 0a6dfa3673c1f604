// Why an update that is due does not go ahead now. Plan reports such an
// update as a pending change (exit 2, like any other change it knows of),
// with this reason, instead of counting the workspace as in sync.
//
// The reason is read from status.rollout.state, so the states the rollout
// engine reports are the one source; a state missing from STATE_REASONS is
// not pending (it is in progress, done, blocked or failed). New waiting
// states (an idle wait, a canary step, a halted rollout) are mapped here
// under the names below.
import type { WorkspacePlan } from './types.ts';

export type PendingReason = 'window' | 'slot' | 'stop' | 'idle' | 'step' | 'halted';

const STATE_REASONS: Readonly<Record<string, PendingReason>> = {
  WaitingForWindow: 'window',
  WaitingForSlot: 'slot',
  WaitingForStop: 'stop',
  WaitingForIdle: 'idle',
  WaitingForStep: 'step',
  Halted: 'halted',
};

/** How each reason reads in a summary ("3 waiting for the window"). */
export const PENDING_SUMMARY: Readonly<Record<PendingReason, string>> = {
  window: 'waiting for the window',
  stop: 'waiting for a stop',
  slot: 'waiting for a slot',
  idle: 'waiting for idleness',
  step: 'waiting for the previous step',
  halted: 'halted',
};

export function pendingReasonOf(state: string | undefined): PendingReason | undefined {
  return state === undefined ? undefined : STATE_REASONS[state];
}

/**
 * The pending update of a plan: only when the plan itself writes nothing
 * (a pending update never has a build in the same plan) and the workspace is
 * managed, not merely observed.
 */
export function pendingOf(plan: WorkspacePlan): { reason: PendingReason; message: string } | undefined {
  if (plan.desired.observeOnly) return undefined;
  const r = plan.lifecycle?.rollout;
  const reason = pendingReasonOf(r?.state);
  return reason && r ? { reason, message: r.message } : undefined;
}
