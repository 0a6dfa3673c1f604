// `plan` and `apply` check the declarations against Coder before anything is
// written (src/engine/preflight.ts): an unknown owner, template, version or
// parameter is an error on its document, reported like an invalid field.
import { toDesired } from '../engine/desired.ts';
import { CoderWorkspaces, type OwnerApis } from '../engine/external.ts';
import type { PreflightProblem, PreflightSubject } from '../engine/preflight.ts';
import type { CoderApi } from '../coder/api.ts';
import type { DeletionPolicy } from '../api/schema.ts';
import type { DeclarationError, LoadedWorkspace } from '../gitops/load.ts';
import type { PlanReport } from '../gitops/run.ts';

/** After a plan: creates are known, so required parameters are checked for them. */
export function checkPlanned(api: CoderApi, owners: OwnerApis, report: PlanReport): Promise<DeclarationError[]> {
  const subjects = report.plans
    .filter((p) => !p.desired.observeOnly)
    .map((p): PreflightSubject => ({ desired: p.desired, creating: p.actions[0]?.kind === 'create' }));
  return check(api, owners, subjects);
}

/** Before an apply (which plans inside the run): everything but the required parameters of a create. */
export function checkDeclared(
  api: CoderApi,
  owners: OwnerApis,
  declarations: LoadedWorkspace[],
  deletionPolicy: DeletionPolicy,
): Promise<DeclarationError[]> {
  const subjects = declarations
    .filter((w) => w.workspace.spec.suspend !== true)
    .map((w): PreflightSubject => ({ desired: toDesired(w.workspace, w.source, { deletionPolicy }) }))
    .filter((s) => !s.desired.observeOnly);
  return check(api, owners, subjects);
}

async function check(api: CoderApi, owners: OwnerApis, subjects: PreflightSubject[]): Promise<DeclarationError[]> {
  return (await new CoderWorkspaces(api, owners).preflight(subjects)).map(toDeclarationError);
}

function toDeclarationError(p: PreflightProblem): DeclarationError {
  return {
    file: p.source.file,
    ...(p.source.document !== undefined ? { document: p.source.document } : {}),
    field: p.field,
    message: `${p.message} (${p.key})`,
  };
}
