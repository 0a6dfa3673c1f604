// The operator's rollout control, one per connection: which Workspaces hold
// one of its `spec.rollout.maxUnavailable` update slots (a Workspace takes
// one when it starts an update build and gives it back once its rollout is
// no longer Updating), the gate lifecycle.ts decides with (slot, window,
// onlyWhenStopped), and the count of Workspaces per rollout state, summed on
// the connection's status and in metrics.
//
// The slots live in memory. After a restart a Workspace whose status still
// says Updating claims its slot again at its first reconcile; until every
// such Workspace has been reconciled once (the informer's first list queues
// them all), a new update may start beside them, so the limit can be passed
// briefly then, never in steady operation.
import type { RolloutPolicy, RolloutState, WorkspaceStatus } from '../api/schema.ts';
import type { RolloutGate } from '../engine/lifecycle.ts';
import { windowState } from '../engine/rollout-window.ts';
import type { WorkspacePlan } from '../engine/types.ts';
import type { ApplyResult } from '../engine/apply.ts';

export const DEFAULT_MAX_UNAVAILABLE = 10;

export interface RolloutCounts {
  upToDate: number;
  updating: number;
  waiting: number;
  blocked: number;
  failed: number;
}

export class ConnectionRollout {
  readonly #slots = new Set<string>();
  readonly #states = new Map<string, RolloutState>();

  gate(key: string, policy: RolloutPolicy | undefined, now: Date, previous: WorkspaceStatus | undefined): RolloutGate {
    if (previous?.rollout?.state === 'Updating') this.#slots.add(key);
    const max = policy?.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE;
    const gate: RolloutGate = { onlyWhenStopped: policy?.onlyWhenStopped === true, slot: this.#slots.has(key) || this.#slots.size < max };
    if (policy?.window) gate.window = windowState(policy.window, now);
    return gate;
  }

  /**
   * Takes a slot for an update the plan is about to start; false when all are
   * held. Called synchronously right after the diff: workers interleave at
   * every await, and the gate alone (read before the context's reads) let
   * several of them see the same free slot (seen on a real coderd: 8 updates
   * at once under a limit of 5).
   */
  claim(key: string, policy: RolloutPolicy | undefined): boolean {
    if (this.#slots.has(key)) return true;
    if (this.#slots.size >= (policy?.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE)) return false;
    this.#slots.add(key);
    return true;
  }

  /** Gives back a slot claimed for a reconcile that ended without recording (a binding conflict). */
  release(key: string): void {
    this.#slots.delete(key);
  }

  /** After the reconcile: keep the slot for an update build that started, free it once the rollout moved on. */
  record(key: string, plan: WorkspacePlan, result: ApplyResult | undefined, state: RolloutState | undefined): void {
    const started = result?.outcomes.some((o) => o.ok && o.action.kind === 'build') ?? false;
    if (started && plan.lifecycle?.needsSlot) this.#slots.add(key);
    else if (state !== 'Updating') this.#slots.delete(key);
    if (state === undefined) this.#states.delete(key);
    else this.#states.set(key, state);
  }

  forget(key: string): void {
    this.#slots.delete(key);
    this.#states.delete(key);
  }

  get inFlight(): number {
    return this.#slots.size;
  }

  counts(): RolloutCounts {
    const counts: RolloutCounts = { upToDate: 0, updating: 0, waiting: 0, blocked: 0, failed: 0 };
    for (const state of this.#states.values()) counts[bucketOf(state)]++;
    return counts;
  }

  /** Per state, for the metrics gauge. */
  byState(): Map<RolloutState, number> {
    const by = new Map<RolloutState, number>();
    for (const state of this.#states.values()) by.set(state, (by.get(state) ?? 0) + 1);
    return by;
  }
}

export function bucketOf(state: RolloutState): keyof RolloutCounts {
  switch (state) {
    case 'UpToDate':
      return 'upToDate';
    case 'Updating':
      return 'updating';
    case 'Blocked':
      return 'blocked';
    case 'Failed':
      return 'failed';
    default:
      return 'waiting';
  }
}

/**
 * When to look again at a Workspace whose update waits: a slot frees when
 * another update ends (soon), a window opens on its schedule; a stop comes
 * from Coder's schedule and the resync notices it.
 */
export function waitRequeueMs(state: RolloutState | undefined): number | undefined {
  if (state === 'WaitingForSlot') return 5_000;
  if (state === 'WaitingForWindow') return 60_000;
  return undefined;
}
