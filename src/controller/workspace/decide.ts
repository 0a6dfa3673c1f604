// The pure "what to do with this Workspace" decision that heads every
// reconcile: everything here is known from the cache and the connection's
// state, so the answer costs no API call and each branch is a table row.
import type { DeletionPolicy } from '../../api/schema.ts';
import type { FieldError } from '../../api/validate.ts';
import type { TenancyVerdict } from '../connection/tenancy.ts';

export const FINALIZER = 'coderops.dev/finalizer';

export interface DecisionInput {
  deleting: boolean;
  hasFinalizer: boolean;
  suspended: boolean;
  /** Empty when the spec is valid. */
  invalid: readonly FieldError[];
  /** spec.deletionPolicy, else the operator's --deletion-policy. */
  policy: DeletionPolicy;
  /** 'unchecked': not looked at yet; decide() then asks for it with checkConnection. */
  connection: 'unchecked' | { ready: true } | { ready: false; message: string } | { missing: string };
  tenancy: TenancyVerdict | undefined;
}

export type Decision =
  /** Deleted and our finalizer is already gone: nothing left to do. */
  | { kind: 'done' }
  /** Let go of the Coder workspace: drop the finalizer, no Coder call. */
  | { kind: 'release'; why: string }
  /** Run (or keep waiting for) the delete build, then drop the finalizer. */
  | { kind: 'delete' }
  | { kind: 'suspended' }
  | { kind: 'invalid'; errors: readonly FieldError[] }
  | { kind: 'connectionNotReady'; message: string }
  | { kind: 'forbidden'; message: string }
  /** Tenancy allows it: now get the connection's state (may cost a Coder call once) and decide again. */
  | { kind: 'checkConnection' }
  /** deletionPolicy Delete: add the finalizer first, then sync. */
  | { kind: 'addFinalizer' }
  | { kind: 'sync' };

export function decide(input: DecisionInput): Decision {
  if (input.deleting) {
    if (!input.hasFinalizer) return { kind: 'done' };
    // Deletion is the user's latest word and beats suspend; Orphan needs nothing from Coder.
    if (input.policy === 'Orphan') return { kind: 'release', why: 'deletionPolicy is Orphan' };
    // A spec that cannot be read cannot name the workspace to delete: let go rather than hang forever.
    if (input.invalid.length > 0) return { kind: 'release', why: 'the spec is invalid, so the workspace to delete is unknown' };
    const blocked = gate(input);
    return blocked ?? { kind: 'delete' };
  }
  if (input.suspended) return { kind: 'suspended' };
  if (input.invalid.length > 0) return { kind: 'invalid', errors: input.invalid };
  const blocked = gate(input);
  if (blocked) return blocked;
  // Only deletionPolicy Delete has cleanup to do when the Workspace is deleted, so only it needs the
  // finalizer, added before the first create (a workspace is never made that deleting the resource
  // could not clean up) and added as soon as a Workspace turns to Delete (spec or --deletion-policy),
  // before anything else is done. An Orphan Workspace's deletion needs nothing from us: it carries no
  // finalizer (one Kubernetes write per Workspace saved), and one it still has from an earlier Delete
  // is simply dropped when it is deleted ('release' above).
  if (!input.hasFinalizer && input.policy === 'Delete') return { kind: 'addFinalizer' };
  return { kind: 'sync' };
}

/** Tenancy first: a forbidden workspace must not learn anything about the connection. */
function gate(input: DecisionInput): Decision | undefined {
  if (input.tenancy && !input.tenancy.allowed) return { kind: 'forbidden', message: input.tenancy.message };
  const c = input.connection;
  if (c === 'unchecked') return { kind: 'checkConnection' };
  if ('missing' in c) return { kind: 'connectionNotReady', message: c.missing };
  if (!c.ready) return { kind: 'connectionNotReady', message: c.message };
  return undefined;
}
