// The Events a pass records on its WorkspaceSet. Pure. One Event per member
// who joined or left, as `kubectl describe workspaceset` readers expect; a
// pass that moves more than a few members at once (the first pass of a large
// set, a mass removal acknowledged) records one Event that names a few and
// counts the rest, so a 10,000-member set does not write 10,000 Events.
import type { SyncPolicy } from '../../api/schema.ts';
import type { EventInput } from '../kube-writer.ts';
import { sample } from './set-status.ts';

/** An Event about the set; the reconciler names the set it regards. */
export type SetEvent = Omit<EventInput, 'regarding'>;

/** Beyond this many in one pass, joins (or leaves) are summed up in one Event. */
export const EVENTS_PER_KIND = 5;

export interface Joined {
  member: string;
  child: string;
}

export interface Left {
  member: string;
  child: string;
  /** The child was deleted (createDelete); otherwise it was kept. */
  removed: boolean;
  /** The child's deletionPolicy: what its deletion does to the Coder workspace. */
  deletionPolicy: 'Delete' | 'Orphan';
}

export function joinEvents(joined: readonly Joined[]): SetEvent[] {
  return oneEachOrSummed(
    joined,
    { type: 'Normal', reason: 'MemberJoined', action: 'Create' },
    (j) => `${j.member} joined: created Workspace ${j.child}`,
    (all) => `${all.length} members joined: created their Workspaces (${sample(all.map((j) => j.member))})`,
  );
}

export function leaveEvents(left: readonly Left[], policy: SyncPolicy): SetEvent[] {
  const removed = oneEachOrSummed(
    left.filter((l) => l.removed),
    { type: 'Normal', reason: 'MemberLeft', action: 'Delete' },
    (l) => `${l.member} left: deleted Workspace ${l.child} (syncPolicy createDelete); its Coder workspace ${fate(l.deletionPolicy)}`,
    (all) => {
      const orphaned = all.filter((l) => l.deletionPolicy === 'Orphan').length;
      return (
        `${all.length} members left: deleted their Workspaces (syncPolicy createDelete; ${sample(all.map((l) => l.member))}); ` +
        `${orphaned} Coder workspaces orphaned, ${all.length - orphaned} deleted (deletionPolicy Delete)`
      );
    },
  );
  const kept = oneEachOrSummed(
    left.filter((l) => !l.removed),
    { type: 'Normal', reason: 'MemberLeft', action: 'Reconcile' },
    (l) => `${l.member} left: Workspace ${l.child} kept (syncPolicy ${policy} never removes a child)`,
    (all) =>
      `${all.length} members left: their Workspaces kept (syncPolicy ${policy} never removes a child; ${sample(all.map((l) => l.member))})`,
  );
  return [...removed, ...kept];
}

/** One Event per item up to EVENTS_PER_KIND; beyond that, one Event that sums them up. */
function oneEachOrSummed<T>(
  items: readonly T[],
  kind: Omit<SetEvent, 'note'>,
  one: (item: T) => string,
  summed: (all: readonly T[]) => string,
): SetEvent[] {
  const notes = items.length <= EVENTS_PER_KIND ? items.map(one) : [summed(items)];
  return notes.map((note) => ({ ...kind, note }));
}

function fate(policy: 'Delete' | 'Orphan'): string {
  return policy === 'Delete' ? 'is deleted (deletionPolicy Delete)' : 'is kept in Coder (deletionPolicy Orphan)';
}
