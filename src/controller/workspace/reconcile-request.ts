// "Sync now" by annotation, Flux's reconcile.fluxcd.io/requestedAt convention
// under our group: `kubectl annotate cws NAME coderops.dev/reconcile-requested-at="$(date +%s)" --overwrite`.
// A new value enqueues the Workspace at once (operator.ts), makes the
// reconcile read the workspace from Coder instead of trusting the snapshot,
// and is copied to status.lastHandledReconcileAt when handled.
import type { Workspace } from '../../api/schema.ts';

export const RECONCILE_REQUESTED_AT = 'coderops.dev/reconcile-requested-at';

export function requestedAt(ws: Pick<Workspace, 'metadata'>): string | undefined {
  return ws.metadata.annotations?.[RECONCILE_REQUESTED_AT];
}

/** A request not handled yet: its value differs from the one the status records. */
export function reconcileRequested(ws: Pick<Workspace, 'metadata' | 'status'>): boolean {
  const value = requestedAt(ws);
  return value !== undefined && value !== ws.status?.lastHandledReconcileAt;
}
