// A WorkspaceSet's status, from what one pass found and did. Pure, and the
// only place a set's status is made (the reconciler writes what this returns,
// and only when it differs from what is stored).
//
// Counts: members (the last expansion), children (Workspaces the set controls,
// not being deleted), and of those ready, updating and failed, read from each
// child's own conditions:
//   failed   - Stalled=True: a person has to act on that child;
//   updating - any other child that is not Ready, or whose update is under way;
//   ready    - Ready=True with no update under way.
// Conditions (each with observedGeneration), as kstatus, Flux and Argo CD read them:
//   Synced  - True when the last pass applied the membership; False with the
//             reason when it could not (generator error, removals held, a
//             connection not ready, a child write refused).
//   Ready   - True when Synced and every member's child exists and is ready.
//   Stalled - present only while True: a person has to act (removals held for
//             acknowledgement, a generator Coder refuses, a name taken by a
//             Workspace the set does not control, an invalid spec, every
//             remaining child failed). Absent means False, as for a Workspace.
import type { Condition, Workspace, WorkspaceSetStatus } from '../../api/schema.ts';
import { setCondition } from '../../engine/index.ts';

export interface ChildCounts {
  children: number;
  ready: number;
  updating: number;
  failed: number;
}

const IN_PROGRESS_ROLLOUT = new Set(['Updating', 'RollingBack']);

function childState(child: Workspace): 'ready' | 'updating' | 'failed' {
  const conditions = child.status?.conditions ?? [];
  if (conditions.some((c) => c.type === 'Stalled' && c.status === 'True')) return 'failed';
  const ready = conditions.find((c) => c.type === 'Ready');
  const generationSeen =
    child.status?.observedGeneration === undefined || child.status.observedGeneration >= (child.metadata.generation ?? 0);
  if (ready?.status !== 'True' || !generationSeen) return 'updating';
  if (IN_PROGRESS_ROLLOUT.has(child.status?.rollout?.state ?? '')) return 'updating';
  return 'ready';
}

export function countChildren(children: readonly Workspace[]): ChildCounts {
  const counts: ChildCounts = { children: children.length, ready: 0, updating: 0, failed: 0 };
  for (const child of children) counts[childState(child)]++;
  return counts;
}

/** What one pass came to, for the conditions. */
export type PassResult =
  /** The membership was applied (or nothing needed doing). */
  | { kind: 'applied'; missing: number; writeFailures: readonly string[]; conflicts: readonly string[] }
  /** Nothing was changed: the reason says why; needsAction says whether a person must act (Stalled). */
  | { kind: 'held'; reason: string; message: string; needsAction: boolean };

interface StatusInput {
  previous: WorkspaceSetStatus | undefined;
  generation: number | undefined;
  now: Date;
  /** Members of the latest expansion; undefined when none succeeded in this process yet (the stored count stays). */
  members: number | undefined;
  /** Members of the last expansion that was acted on (an empty one after this is held). */
  lastMembers: number | undefined;
  counts: ChildCounts;
  result: PassResult;
  /** When the members were last read (written only together with another change: a quiet refresh writes nothing). */
  refreshedAt: Date | undefined;
}

export function setStatus(input: StatusInput): WorkspaceSetStatus {
  const { previous, generation, now, counts, result } = input;
  const status: WorkspaceSetStatus = {};
  if (generation !== undefined) status.observedGeneration = generation;
  const members = input.members ?? previous?.members;
  if (members !== undefined) status.members = members;
  status.children = counts.children;
  status.ready = counts.ready;
  status.updating = counts.updating;
  status.failed = counts.failed;
  const lastMembers = input.lastMembers ?? previous?.lastMembers;
  if (lastMembers !== undefined) status.lastMembers = lastMembers;
  const refreshed = input.refreshedAt?.toISOString() ?? previous?.lastRefreshTime;
  if (refreshed !== undefined) status.lastRefreshTime = refreshed;

  // Ready, Synced and Stalled only: whatever else a status once had is not this controller's.
  let conditions: Condition[] = (previous?.conditions ?? []).filter((c) => ['Ready', 'Synced', 'Stalled'].includes(c.type));
  const put = (type: 'Ready' | 'Synced' | 'Stalled', s: 'True' | 'False', reason: string, message: string) => {
    conditions = setCondition(conditions, { type, status: s, reason, message }, now, generation);
  };
  let stalled: { reason: string; message: string } | undefined;

  if (result.kind === 'held') {
    put('Synced', 'False', result.reason, result.message);
    put('Ready', 'False', result.reason, result.message);
    if (result.needsAction) stalled = result;
  } else if (result.conflicts.length > 0) {
    const message =
      `${plural(result.conflicts.length, 'child name is', 'child names are')} taken by Workspaces the set does not control ` +
      `(${sample(result.conflicts)}): rename or delete them, or change spec.template.metadata.name`;
    put('Synced', 'False', 'ChildConflict', message);
    put('Ready', 'False', 'ChildConflict', message);
    stalled = { reason: 'ChildConflict', message };
  } else if (result.writeFailures.length > 0) {
    const message = `${plural(result.writeFailures.length, 'child write', 'child writes')} failed: ${sample(result.writeFailures)}`;
    put('Synced', 'False', 'ChildWriteFailed', message);
    put('Ready', 'False', 'ChildWriteFailed', message);
  } else {
    const total = members ?? counts.children;
    put('Synced', 'True', 'Synced', `${plural(total, 'member', 'members')}, ${plural(counts.children, 'child', 'children')}`);
    if (counts.failed > 0) {
      const message = `${counts.failed} of ${counts.children} children failed (Stalled); see their conditions`;
      put('Ready', 'False', 'ChildrenFailed', message);
      // Nothing left in progress: only a person can move the set forward.
      if (counts.updating === 0 && result.missing === 0) stalled = { reason: 'ChildrenFailed', message };
    } else if (counts.updating > 0 || result.missing > 0) {
      const message = `${counts.ready} of ${counts.children + result.missing} children ready`;
      put('Ready', 'False', 'ChildrenNotReady', message);
    } else {
      put('Ready', 'True', 'Ready', `all ${plural(counts.children, 'child', 'children')} ready`);
    }
  }
  // Stalled is present only while True; its lastTransitionTime stays while it does.
  if (stalled) put('Stalled', 'True', stalled.reason, stalled.message);
  else conditions = conditions.filter((c) => c.type !== 'Stalled');
  status.conditions = conditions;
  return status;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A few names, and how many more: a message stays short whatever the set's size. */
export function sample(names: readonly string[], max = 5): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}
