// Failures a retry cannot fix (controller-runtime's TerminalError): Coder
// answered that a person has to change something. Retrying them with backoff
// only repeated the same refused call forever and buried the one message that
// says what to do. A reconcile that ends with nothing but such failures:
//   - says so on the Workspace: Stalled=True with Coder's answer and what to
//     change (stalledForPerson below), kstatus' "Failed";
//   - is not requeued (src/kube/terminal-error.ts), and the resync skips it;
//   - runs again when its spec changes (a new generation), when its
//     connection or the connection's token Secret changes (a new connection
//     runtime), or on request (the coderops.dev/reconcile-requested-at
//     annotation).
// Everything else (5xx, 429, timeouts, a workspace gone mid-apply, a name
// taken) is retried as before.
import type { WorkspaceStatus } from '../../api/schema.ts';
import { CoderApiError, isUnknownOwnerAnswer, isUnknownTemplateAnswer } from '../../coder/errors.ts';
import { type Action, setCondition } from '../../engine/index.ts';

export const RETRY_ON_CHANGE =
  'not retried until the Workspace spec, its connection or the connection token Secret changes ' +
  '(or the coderops.dev/reconcile-requested-at annotation is set)';

/**
 * Coder's answer needs a person: 400 (the values were refused), 401 (the token
 * was refused), 403 (the token may not do it), 404 for the template or owner
 * a create names.
 */
export function needsAPerson(action: Action, error: unknown): boolean {
  if (!(error instanceof CoderApiError)) return false;
  if (error.status === 400 || error.status === 401 || error.status === 403) return true;
  return error.status === 404 && action.kind === 'create' && (isUnknownTemplateAnswer(error) || isUnknownOwnerAnswer(error));
}

/** Every failure of the reconcile needs a person (and there is at least one). */
export function allNeedAPerson(failures: Array<{ action: Action; error: unknown }>): boolean {
  return failures.length > 0 && failures.every((f) => needsAPerson(f.action, f.error));
}

/**
 * Stalled=True with the Synced failure and what it waits for; not Reconciling,
 * since nothing will happen until a person acts.
 */
export function stalledForPerson(status: WorkspaceStatus, now: Date, generation: number | undefined): WorkspaceStatus {
  const synced = status.conditions?.find((c) => c.type === 'Synced' && c.status === 'False');
  if (!synced) return status;
  const conditions = setCondition(
    (status.conditions ?? []).filter((c) => c.type !== 'Reconciling'),
    { type: 'Stalled', status: 'True', reason: synced.reason, message: `${synced.message}; ${RETRY_ON_CHANGE}` },
    now,
    generation,
  );
  return { ...status, conditions };
}
