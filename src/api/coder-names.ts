// What Coder accepts for the owner, organization and template a Workspace
// names. Coder validates usernames, organization names and template names
// with the same rule as workspace names (docs/input-rules.md), so
// anything else can only be a typo, or text meant to reach a URL path or a
// search query. Refusing it here reports it at plan time, with the field,
// instead of as a 404 from Coder after a path-encoded request.
import type { FieldError } from './field-error.ts';
import { isUuid } from './patterns.ts';
import { workspaceNameError } from './workspace-name.ts';

/** Why Coder has no user, organization or template by this name; undefined when it may. */
function nameError(value: string, uuidToo: boolean): string | undefined {
  if (uuidToo && isUuid(value)) return undefined;
  return workspaceNameError(value);
}

/** Errors for spec.owner, spec.organization and spec.template; only for strings (the schema faults the rest). */
export function coderNameErrors(spec: Record<string, unknown>): FieldError[] {
  const checks: [field: 'owner' | 'organization' | 'template', uuidToo: boolean, what: string][] = [
    ['owner', true, 'a Coder username or a user UUID'],
    ['organization', true, 'a Coder organization name or UUID'],
    ['template', false, 'a Coder template name (for a version id, use templateVersion)'],
  ];
  const errors: FieldError[] = [];
  for (const [field, uuidToo, what] of checks) {
    const value = spec[field];
    if (typeof value !== 'string' || value === '') continue; // missing or empty: the schema says so
    const why = nameError(value, uuidToo);
    if (why !== undefined) errors.push({ path: `spec.${field}`, message: `must be ${what}: ${why}` });
  }
  return errors;
}
