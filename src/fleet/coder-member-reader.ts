// The generators' reads over the Coder client: one paginated user list, or
// one group read, per generator. What Coder's answers mean is decided here:
// a 403 that says the feature is Premium is "no groups on this server"
// (GroupsUnavailable), never "a group with no members".
import { CoderApiError, isNotFound } from '../coder/errors.ts';
import type { CoderClient } from '../coder/client.ts';
import type { User } from '../coder/types.ts';
import {
  GroupNotFoundError,
  GroupsUnavailableError,
  type MemberReader,
  type MemberUser,
  MembersHiddenError,
  OrganizationNotFoundError,
} from './generators.ts';

/** What the reader asks of the client. */
export type MemberClient = Pick<CoderClient, 'forEachUserPage' | 'getGroupByName' | 'getOrganization' | 'source'>;

/** How coderd says a licensed feature is off (enterprise/coderd RequireFeatureMW; older servers said Enterprise). */
const FEATURE_OFF = /is an? (Premium|Enterprise) feature/i;

export class CoderMemberReader implements MemberReader {
  readonly #client: MemberClient;

  constructor(client: MemberClient) {
    this.#client = client;
  }

  async listUsers(query: string | undefined, organization?: string): Promise<MemberUser[]> {
    const orgId = organization === undefined ? undefined : await this.#organizationId(organization);
    const users: MemberUser[] = [];
    await this.#client.forEachUserPage(query === undefined ? {} : { q: query }, (page: User[]) => {
      for (const user of page) {
        // Coder's user query has no organization term: members are told by the user's own organization_ids.
        if (orgId !== undefined && !(user.organization_ids ?? []).includes(orgId)) continue;
        users.push({ username: user.username, id: user.id });
      }
    });
    return users;
  }

  async listGroupMembers(name: string, organization?: string): Promise<MemberUser[]> {
    const org = organization ?? 'default';
    let group: Awaited<ReturnType<MemberClient['getGroupByName']>>;
    try {
      group = await this.#client.getGroupByName(org, name);
    } catch (error) {
      if (error instanceof CoderApiError && error.status === 403 && FEATURE_OFF.test(error.response.message)) {
        throw new GroupsUnavailableError(
          `${this.#client.source} has no groups: ${error.response.message.replace(/\s*Contact sales!?$/i, '')} ` +
            '(groups need a Coder Premium license); use a users or list generator instead',
          { cause: error },
        );
      }
      if (isNotFound(error)) {
        throw new GroupNotFoundError(`no group ${JSON.stringify(name)} in organization ${org} (or it is hidden from the token)`, {
          cause: error,
        });
      }
      throw error;
    }
    const members = group.members ?? [];
    if (typeof group.total_member_count === 'number' && group.total_member_count > members.length) {
      throw new MembersHiddenError(`group ${name} has ${group.total_member_count} members but the token may read only ${members.length}`);
    }
    return members.map((m) => ({ username: m.username, id: m.id }));
  }

  async #organizationId(organization: string): Promise<string> {
    try {
      return (await this.#client.getOrganization(organization)).id;
    } catch (error) {
      if (isNotFound(error)) {
        throw new OrganizationNotFoundError(`no organization ${organization} (or it is hidden from the token)`, { cause: error });
      }
      throw error;
    }
  }
}
