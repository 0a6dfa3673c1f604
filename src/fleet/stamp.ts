// One child Workspace per member, stamped from a WorkspaceSet's template.
// The only substitution is {{username}}, and only in the child's
// metadata.name and spec.name: no template language, so a template can say
// nothing that reaches another field, another namespace or another owner.
import { createHash } from 'node:crypto';
import { USERNAME_PLACEHOLDER, WORKSPACE_NAME_MAX, type MemberOverrides, type WorkspaceSet, type WorkspaceSpec } from '../api/schema.ts';
import { workspaceNameError } from '../api/workspace-name.ts';

/** On every child: the set that stamped it. With the owner reference, what makes a Workspace a set's child. */
export const SET_LABEL = 'coderops.dev/workspace-set';
/** On every child: the member (Coder username) it was stamped for. */
export const MEMBER_LABEL = 'coderops.dev/member';

/** A member of a set: a Coder user a generator produced. */
export interface Member {
  username: string;
  /** The user's UUID, when the generator read it from Coder. */
  userId?: string;
  /** What a `list` element sets for this member alone. */
  overrides?: MemberOverrides;
}

/** A child Workspace as the set wants it. */
export interface StampedChild {
  /** metadata.name */
  name: string;
  /** The member's username, as the MEMBER_LABEL says. */
  member: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: WorkspaceSpec;
}

const K8S_NAME_MAX = 253;
const HASH_LENGTH = 6;

/** The key a member is known by: Coder compares usernames without regard to case. */
export function memberKey(username: string): string {
  return username.toLowerCase();
}

/** The metadata.name a set without template.metadata.name gives its children. */
function defaultChildName(setName: string): string {
  return `${setName}-${USERNAME_PLACEHOLDER}`;
}

export function stampChild(set: WorkspaceSet, member: Member): StampedChild {
  const template = set.spec.template;
  const name = childName(template.metadata?.name ?? defaultChildName(set.metadata.name), member.username);
  const { name: templateCoderName, ...templateSpec } = template.spec;
  const overrides = member.overrides ?? {};
  const coderName = overrides.name ?? coderWorkspaceName(templateCoderName === undefined ? name : templateCoderName, member.username);
  const spec: WorkspaceSpec = {
    ...templateSpec,
    ...withoutParameters(overrides),
    owner: member.username,
    name: coderName,
  };
  const parameters = mergeParameters(templateSpec.parameters, overrides.parameters);
  if (parameters !== undefined) spec.parameters = parameters;
  return {
    name,
    member: member.username,
    labels: { ...template.metadata?.labels, [SET_LABEL]: set.metadata.name, [MEMBER_LABEL]: member.username },
    annotations: { ...template.metadata?.annotations },
    spec,
  };
}

/**
 * The child's metadata.name: the placeholder replaced by the username in
 * the characters a Kubernetes name allows (lowercase; anything else a
 * hyphen), shortened with a hash of the username when too long.
 */
export function childName(pattern: string, username: string): string {
  const escaped = username.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const name = pattern.split(USERNAME_PLACEHOLDER).join(escaped);
  return shorten(name, K8S_NAME_MAX, username);
}

/**
 * The Coder workspace name: the placeholder replaced by the username (Coder
 * usernames are valid workspace names); a dotted or too long result (e.g. a
 * default from metadata.name) is made valid, ending in a hash of the username
 * so two members never meet on one name.
 */
export function coderWorkspaceName(pattern: string, username: string): string {
  const name = pattern
    .split(USERNAME_PLACEHOLDER)
    .join(username)
    .replace(/[^a-zA-Z0-9-]/g, '-')
    .replace(/-+/g, '-');
  const trimmed = name.replace(/^-+|-+$/g, '');
  if (workspaceNameError(trimmed) === undefined) return trimmed;
  return shorten(trimmed, WORKSPACE_NAME_MAX, username, true);
}

function shorten(name: string, max: number, username: string, force = false): string {
  if (name.length <= max && !force) return name;
  const hash = createHash('sha256').update(username).digest('hex').slice(0, HASH_LENGTH);
  const head = name
    .slice(0, max - HASH_LENGTH - 1)
    .replace(/[-.]+$/, '')
    .replace(/^[-.]+/, '');
  return head === '' ? hash : `${head}-${hash}`;
}

function withoutParameters(overrides: MemberOverrides): Omit<MemberOverrides, 'parameters' | 'name'> {
  const { parameters: _merged, name: _named, ...rest } = overrides;
  return rest;
}

/** The template's parameters, each replaced by the member's own of the same name; the member's new ones after them. */
function mergeParameters(
  template: WorkspaceSpec['parameters'],
  member: MemberOverrides['parameters'],
): WorkspaceSpec['parameters'] | undefined {
  if (member === undefined) return template;
  const own = new Map(member.map((p) => [p.name, p.value]));
  const merged = (template ?? []).map((p) => (own.has(p.name) ? { name: p.name, value: own.get(p.name)! } : p));
  const known = new Set(merged.map((p) => p.name));
  for (const p of member) if (!known.has(p.name)) merged.push(p);
  return merged;
}
