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
  if (joined.length <= EVENTS_PER_KIND)
    return joined.map((j) => ({
      type: 'Normal',
      reason: 'MemberJoined',
      action: 'Create',
      note: `${j.member} joined: created Workspace ${j.child}`,
    }));
  return [
    {
      type: 'Normal',
      reason: 'MemberJoined',
      action: 'Create',
      note: `${joined.length} members joined: created their Workspaces (${sample(joined.map((j) => j.member))})`,
    },
  ];
}

export function leaveEvents(left: readonly Left[], policy: SyncPolicy): SetEvent[] {
  const removed = left.filter((l) => l.removed);
  const kept = left.filter((l) => !l.removed);
  const out: SetEvent[] = [];
  if (removed.length > 0 && removed.length <= EVENTS_PER_KIND)
    for (const l of removed)
      out.push({
        type: 'Normal',
        reason: 'MemberLeft',
        action: 'Delete',
        note: `${l.member} left: deleted Workspace ${l.child} (syncPolicy createDelete); its Coder workspace ${fate(l.deletionPolicy)}`,
      });
  else if (removed.length > 0) {
    const orphaned = removed.filter((l) => l.deletionPolicy === 'Orphan').length;
    out.push({
      type: 'Normal',
      reason: 'MemberLeft',
      action: 'Delete',
      note:
        `${removed.length} members left: deleted their Workspaces (syncPolicy createDelete; ${sample(removed.map((l) => l.member))}); ` +
        `${orphaned} Coder workspaces orphaned, ${removed.length - orphaned} deleted (deletionPolicy Delete)`,
    });
  }
  if (kept.length > 0 && kept.length <= EVENTS_PER_KIND)
    for (const l of kept)
      out.push({
        type: 'Normal',
        reason: 'MemberLeft',
        action: 'Reconcile',
        note: `${l.member} left: Workspace ${l.child} kept (syncPolicy ${policy} never removes a child)`,
      });
  else if (kept.length > 0)
    out.push({
      type: 'Normal',
      reason: 'MemberLeft',
      action: 'Reconcile',
      note: `${kept.length} members left: their Workspaces kept (syncPolicy ${policy} never removes a child; ${sample(kept.map((l) => l.member))})`,
    });
  return out;
}

function fate(policy: 'Delete' | 'Orphan'): string {
  return policy === 'Delete' ? 'is deleted (deletionPolicy Delete)' : 'is kept in Coder (deletionPolicy Orphan)';
}
