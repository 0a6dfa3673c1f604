// Workspace name rules (codersdk/name.go, NameValid, validator tag
// `workspace_name`): 1-32 chars, letters and digits with single inner hyphens,
// and not a reserved word used by the dashboard's routes.
const NAME_RE = /^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$/;
const RESERVED = new Set(['new', 'create']);

export function isValidWorkspaceName(name: string): boolean {
  return name.length >= 1 && name.length <= 32 && NAME_RE.test(name) && !RESERVED.has(name);
}
