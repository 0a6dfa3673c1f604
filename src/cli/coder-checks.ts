// `plan` and `apply` check the declarations against Coder before anything is
// written (src/engine/preflight.ts): an unknown owner, template, version or
// parameter is an error on its document, reported like an invalid field.
import { CoderWorkspaces, type OwnerApis, type PreflightProblem, type PreflightSubject } from '../engine/index.ts';
import type { CoderApi } from '../coder/api.ts';
import type { DeclarationError } from '../gitops/load.ts';
import type { PlanReport } from '../gitops/run.ts';

/** After a plan: creates are known, so required parameters are checked for them. */
export function checkPlanned(api: CoderApi, owners: OwnerApis, report: PlanReport): Promise<DeclarationError[]> {
  const subjects = report.plans
    .filter((p) => !p.desired.observeOnly)
    .map((p): PreflightSubject => ({ desired: p.desired, creating: p.actions[0]?.kind === 'create' }));
  // An owner of a workspace the plan saw exists: no lookup (most owners, in a repository that is mostly in sync).
  const known = new Set<string>();
  for (const p of report.plans) if (p.observed) known.add(p.observed.ownerName.toLowerCase()).add(p.observed.ownerId.toLowerCase());
  // A WorkspaceSet member read from Coder's own user list this run exists too: a set of N new members costs no N lookups.
  for (const username of report.coderUsers ?? []) known.add(username);
  return check(api, owners, subjects, known);
}

/** Declarations Coder cannot serve, found after apply planned and before its first write. */
export class CoderCheckFailed extends Error {
  override readonly name = 'CoderCheckFailed';
  readonly errors: DeclarationError[];

  constructor(errors: DeclarationError[]) {
    super(`${errors.length} declaration(s) name what Coder does not have`);
    this.errors = errors;
  }
}

async function check(
  api: CoderApi,
  owners: OwnerApis,
  subjects: PreflightSubject[],
  knownOwners?: ReadonlySet<string>,
): Promise<DeclarationError[]> {
  return (await new CoderWorkspaces(api, owners).preflight(subjects, knownOwners)).map(toDeclarationError);
}

function toDeclarationError(p: PreflightProblem): DeclarationError {
  return {
    file: p.source.file,
    ...(p.source.document !== undefined ? { document: p.source.document } : {}),
    field: p.field,
    message: `${p.message} (${p.key})`,
  };
}
