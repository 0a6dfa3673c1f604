// Two Workspace fields are the operator's: spec.suspend (pause) and
// spec.connectionRef (which Coder, with which token). The CLI honours the
// first, since a paused workspace must not be changed by whoever runs it,
// and says that it ignores the second, since it always uses its own flags.
import type { WorkspaceStatus } from '../api/schema.ts';
import { setCondition, withoutProgressConditions } from '../engine/index.ts';
import type { LoadedWorkspace } from './declaration.ts';

export interface SuspendedDeclaration {
  key: string;
  owner: string;
  name: string;
}

/**
 * Declarations with `spec.suspend: true` are not planned, applied or
 * observed, but stay declared: prune must not take their workspaces for
 * ones nobody declares any more, and their state entries are kept as is.
 */
export function splitSuspended(declarations: LoadedWorkspace[]): { active: LoadedWorkspace[]; suspended: SuspendedDeclaration[] } {
  const active: LoadedWorkspace[] = [];
  const suspended: SuspendedDeclaration[] = [];
  for (const d of declarations) {
    if (d.workspace.spec.suspend === true) suspended.push({ key: d.key, owner: d.workspace.spec.owner, name: d.coderName });
    else active.push(d);
  }
  return { active, suspended };
}

/**
 * What sync records for a suspended workspace: its last status as it was,
 * with Synced=False, reason Suspended, as the operator reports it, and
 * neither Reconciling nor Stalled (nothing is being done about it).
 */
export function suspendedStatus(previous: WorkspaceStatus | undefined, now: Date): WorkspaceStatus {
  const synced = {
    type: 'Synced',
    status: 'False',
    reason: 'Suspended',
    message: 'spec.suspend is true: not reconciled until it is false',
  } as const;
  return { ...previous, conditions: setCondition(withoutProgressConditions(previous?.conditions ?? []), synced, now) };
}

/** One warning per document that sets spec.connectionRef (a List's items share one document). */
export function connectionRefWarnings(declarations: LoadedWorkspace[]): string[] {
  const seen = new Set<string>();
  const warnings: string[] = [];
  for (const d of declarations) {
    if (d.workspace.spec.connectionRef === undefined) continue;
    const where = `${d.source.file}: document ${d.source.document}`;
    if (seen.has(where)) continue;
    seen.add(where);
    warnings.push(
      `${where}: spec.connectionRef is ignored: the CLI uses the Coder of --url / $CODER_URL and the token of ` +
        '$CODER_SESSION_TOKEN / --token-file; connectionRef is read only by the operator',
    );
  }
  return warnings;
}
