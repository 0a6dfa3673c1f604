// Coder's workspace name rule (codersdk/name.go, NameValid; docs/coder-api.md, Creating a workspace),
// checked here so a bad name fails at plan time, not at create.
import { RESERVED_WORKSPACE_NAMES, WORKSPACE_NAME_MAX, WORKSPACE_NAME_PATTERN } from './schema.ts';

const PATTERN = new RegExp(WORKSPACE_NAME_PATTERN);

/** Why Coder would refuse `name`, or undefined when it is a valid workspace name. */
export function workspaceNameError(name: string): string | undefined {
  // Same order as NameValid, so the first reason given is the one Coder gives.
  if (name.length > WORKSPACE_NAME_MAX) return `must be at most ${WORKSPACE_NAME_MAX} characters (has ${name.length})`;
  if (name.length < 1) return 'must not be empty';
  if ((RESERVED_WORKSPACE_NAMES as readonly string[]).includes(name)) {
    return `cannot be "${name}": Coder reserves ${RESERVED_WORKSPACE_NAMES.map((n) => `"${n}"`).join(' and ')}`;
  }
  if (!PATTERN.test(name)) {
    return (
      'must be ASCII letters and digits with single hyphens between them: ' +
      'no dots, underscores, spaces, or leading, trailing or double hyphens'
    );
  }
  return undefined;
}
