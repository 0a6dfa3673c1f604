// A WorkspaceSet's members: the union of what its generators produce. One
// read per generator (a paginated user list, one group), bounded, and any
// failure is an outcome that says why, never an empty list: a set reads "no
// members" only from a generator that succeeded and found none.
import { CoderApiError, CoderIncompleteListError, CoderListBoundError, CoderNetworkError } from '../coder/errors.ts';
import type { MemberOverrides, WorkspaceSetGenerator, WorkspaceSetSpec } from '../api/schema.ts';
import { workspaceNameError } from '../api/workspace-name.ts';
import { type Member, memberKey } from './stamp.ts';

export type { Member } from './stamp.ts';

export type GeneratorOutcome =
  | { ok: true; members: Member[] /** Members per generator, in spec order. */; perGenerator?: number[] }
  | { ok: false; reason: GeneratorFailure; message: string };

type GeneratorFailure =
  /** A group generator on a server without groups (a Premium feature). */
  | 'GroupsUnavailable'
  | 'GroupNotFound'
  | 'OrganizationNotFound'
  /** The token may not read the users or the group (403), or its members are hidden from it. */
  | 'Forbidden'
  /** Coder refused the token (401). */
  | 'Unauthorized'
  /** No answer, a timeout, a 5xx after retries. */
  | 'CoderUnavailable'
  /** More members than the bounds allow, or a list that would not end. */
  | 'TooManyMembers'
  /** The server sent a user no Coder would have (a hostile or broken server). */
  | 'InvalidMember'
  /** Two list elements give one member different overrides. */
  | 'ConflictingOverrides'
  | 'GeneratorFailed';

/** A user as a reader hands it over. */
export interface MemberUser {
  username: string;
  id?: string;
}

/**
 * The reads generators make. The Coder adapter implements it
 * (./coder-member-reader.ts); each method is one bounded, paginated read and
 * throws when it cannot answer in full.
 */
export interface MemberReader {
  /** Coder's user list for a search query (undefined: every user), only members of `organization` when given. */
  listUsers(query: string | undefined, organization?: string): Promise<MemberUser[]>;
  /** The members of a group, by name, in `organization` (default: the default organization). Throws GroupsUnavailableError without the feature. */
  listGroupMembers(name: string, organization?: string): Promise<MemberUser[]>;
}

export interface ExpansionBounds {
  /** At most this many members in all. */
  maxMembers: number;
}

/** The server has no groups: Coder's Template RBAC (Premium) feature is not enabled. */
export class GroupsUnavailableError extends Error {
  override readonly name = 'GroupsUnavailableError';
}

/** No group of that name in the organization. */
export class GroupNotFoundError extends Error {
  override readonly name = 'GroupNotFoundError';
}

/** Coder counts members the token may not read: a partial list is never taken for the whole. */
export class MembersHiddenError extends Error {
  override readonly name = 'MembersHiddenError';
}

/** The organization named by a generator does not exist (or is hidden from the token). */
export class OrganizationNotFoundError extends Error {
  override readonly name = 'OrganizationNotFoundError';
}

export async function expandGenerators(
  spec: Pick<WorkspaceSetSpec, 'generators'>,
  reader: MemberReader,
  bounds: ExpansionBounds,
): Promise<GeneratorOutcome> {
  const byKey = new Map<string, Member>();
  const perGenerator: number[] = [];
  for (const [index, generator] of spec.generators.entries()) {
    const label = `generator ${index + 1} (${describeGenerator(generator)})`;
    let found: Member[];
    try {
      found = await expandOne(generator, reader);
    } catch (error) {
      const { reason, message } = failureOf(error);
      return { ok: false, reason, message: `${label}: ${message}` };
    }
    for (const member of found) {
      const invalid = workspaceNameError(member.username);
      if (invalid !== undefined) {
        return {
          ok: false,
          reason: 'InvalidMember',
          message: `${label}: Coder answered with the username ${JSON.stringify(member.username.slice(0, 64))}, which ${invalid}`,
        };
      }
      const key = memberKey(member.username);
      const seen = byKey.get(key);
      if (!seen) {
        byKey.set(key, member);
      } else if (member.overrides !== undefined) {
        if (seen.overrides !== undefined && JSON.stringify(seen.overrides) !== JSON.stringify(member.overrides)) {
          return {
            ok: false,
            reason: 'ConflictingOverrides',
            message: `${label}: member ${member.username} is listed twice with different overrides`,
          };
        }
        byKey.set(key, { ...seen, overrides: member.overrides });
      }
      if (byKey.size > bounds.maxMembers) {
        return {
          ok: false,
          reason: 'TooManyMembers',
          message: `${label}: more than ${bounds.maxMembers} members, the most a set may have (raise --max-list-items)`,
        };
      }
    }
    perGenerator.push(found.length);
  }
  return { ok: true, members: [...byKey.values()], perGenerator };
}

/** How a plan or a condition names a generator, e.g. `users status:active`, `group devs`, `list of 3`. */
export function describeGenerator(generator: WorkspaceSetGenerator): string {
  if (generator.users) {
    const parts = ['users', generator.users.query ?? '(all)'];
    if (generator.users.organization) parts.push(`in ${generator.users.organization}`);
    return parts.join(' ');
  }
  if (generator.group) return `group ${generator.group.name}${generator.group.organization ? ` in ${generator.group.organization}` : ''}`;
  if (generator.list) return `list of ${generator.list.elements.length}`;
  return 'empty generator';
}

async function expandOne(generator: WorkspaceSetGenerator, reader: MemberReader): Promise<Member[]> {
  if (generator.users) {
    const { query, organization, exclude } = generator.users;
    const excluded = new Set((exclude ?? []).map(memberKey));
    const users = await reader.listUsers(query, organization);
    return users.filter((u) => !excluded.has(memberKey(u.username))).map(asMember);
  }
  if (generator.group) {
    return (await reader.listGroupMembers(generator.group.name, generator.group.organization)).map(asMember);
  }
  if (generator.list) {
    return generator.list.elements.map((e) => withOverrides({ username: e.username }, e.overrides));
  }
  // The schema allows no such generator; a document that slipped past it fails, it does not produce no one.
  throw new Error('a generator must have one of users, group and list');
}

function asMember(user: MemberUser): Member {
  return user.id === undefined ? { username: user.username } : { username: user.username, userId: user.id };
}

function withOverrides(member: Member, overrides: MemberOverrides | undefined): Member {
  return overrides === undefined ? member : { ...member, overrides };
}

function failureOf(error: unknown): { reason: GeneratorFailure; message: string } {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof GroupsUnavailableError) return { reason: 'GroupsUnavailable', message };
  if (error instanceof GroupNotFoundError) return { reason: 'GroupNotFound', message };
  if (error instanceof OrganizationNotFoundError) return { reason: 'OrganizationNotFound', message };
  if (error instanceof CoderListBoundError) return { reason: 'TooManyMembers', message };
  if (error instanceof CoderIncompleteListError || error instanceof MembersHiddenError) return { reason: 'Forbidden', message };
  if (error instanceof CoderApiError) {
    if (error.status === 401) return { reason: 'Unauthorized', message };
    if (error.status === 403) return { reason: 'Forbidden', message };
    if (error.status >= 500 || error.status === 429) return { reason: 'CoderUnavailable', message };
    return { reason: 'GeneratorFailed', message };
  }
  if (error instanceof CoderNetworkError) return { reason: 'CoderUnavailable', message };
  return { reason: 'GeneratorFailed', message };
}
