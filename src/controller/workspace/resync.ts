// The resync pass, pure given a refreshed snapshot: which Workspaces need a
// reconcile. Only those whose Coder state differs from the spec, whose status
// would change, that are not Ready, or that need deletionPolicy Delete's
// finalizer — so an idle resync of N workspaces is N snapshot lookups and no
// write anywhere.
import type { DeletionPolicy, Workspace } from '../../api/schema.ts';
import {
  toDesired,
  workspaceKey,
  diff,
  findObserved,
  type Snapshot,
  withOwnerResolved,
  type WorkspaceOwner,
  computeStatus,
} from '../../engine/index.ts';
import { FINALIZER } from './decide.ts';
import { statusChanged } from '../status-patch.ts';

export function needsReconcile(
  ws: Workspace,
  snapshot: Snapshot,
  opts: { deletionPolicy: DeletionPolicy; coderUrl: string; now: Date; me?: WorkspaceOwner | undefined },
): boolean {
  if (ws.metadata.deletionTimestamp !== undefined || ws.spec.suspend === true) return ws.metadata.deletionTimestamp !== undefined;
  // Turned to Delete (e.g. a new --deletion-policy) without our finalizer yet: add it now.
  if ((ws.spec.deletionPolicy ?? opts.deletionPolicy) === 'Delete' && !(ws.metadata.finalizers ?? []).includes(FINALIZER)) return true;
  const ready = ws.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True' || ws.status?.observedGeneration !== ws.metadata.generation) return true;
  let desired;
  try {
    desired = withOwnerResolved(toDesired(ws, { file: workspaceKey(ws) }, { deletionPolicy: opts.deletionPolicy }, ws.status?.id), opts.me);
  } catch {
    return true;
  }
  const observed = findObserved(snapshot, desired);
  if (!observed) return true;
  // Favorites are visible to the owner only: let the reconcile read them (a read, never a write).
  if (desired.favorite !== undefined && observed.favorite === undefined) return true;
  // The status is the lifecycle's memory (schedule conflicts, checked parameters): without it an idle pass would differ.
  const plan = diff(desired, observed, { gate: { onlyWhenStopped: false, slot: true }, ...(ws.status ? { previous: ws.status } : {}) });
  if (plan.actions.length > 0 || plan.blocked.length > 0) return true;
  // The status a reconcile would report (engine.ts status(), nothing applied): the same pure function.
  const status = computeStatus({ plan, previous: ws.status, generation: ws.metadata.generation, coderUrl: opts.coderUrl, now: opts.now });
  return statusChanged(ws.status, status);
}
