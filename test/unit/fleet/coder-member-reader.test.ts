import { describe, expect, it } from 'vitest';
import { CoderApiError } from '../../../src/coder/errors.ts';
import type { Group, Organization, User } from '../../../src/coder/types.ts';
import { type MemberClient, CoderMemberReader } from '../../../src/fleet/coder-member-reader.ts';
import {
  GroupNotFoundError,
  GroupsUnavailableError,
  MembersHiddenError,
  OrganizationNotFoundError,
} from '../../../src/fleet/generators.ts';

const user = (username: string, orgs: string[]): User => ({ id: `id-${username}`, username, organization_ids: orgs }) as unknown as User;

function client(opts: { users?: User[][]; group?: Group | Error; org?: Organization | Error }): MemberClient & { queries: unknown[] } {
  const queries: unknown[] = [];
  return {
    queries,
    source: 'Coder at http://coder.test',
    async forEachUserPage(q, onPage) {
      queries.push(q);
      for (const page of opts.users ?? []) onPage(page);
    },
    async getGroupByName(org, name) {
      queries.push([org, name]);
      if (opts.group instanceof Error) throw opts.group;
      return opts.group!;
    },
    async getOrganization(org) {
      if (opts.org instanceof Error) throw opts.org;
      return opts.org ?? ({ id: `org-${org}` } as Organization);
    },
  };
}

const apiError = (status: number, message: string) =>
  new CoderApiError({ status, method: 'GET', path: '/api/v2/organizations/default/groups/devs', response: { message } });

describe('CoderMemberReader', () => {
  it('lists users with the query verbatim, every page, filtered by organization membership', async () => {
    const c = client({ users: [[user('a', ['org-eng']), user('b', ['org-ops'])], [user('c', ['org-ops', 'org-eng'])]] });
    const users = await new CoderMemberReader(c).listUsers('status:active', 'eng');
    expect(users).toEqual([
      { username: 'a', id: 'id-a' },
      { username: 'c', id: 'id-c' },
    ]);
    expect(c.queries).toEqual([{ q: 'status:active' }]);
  });

  it('an unknown organization is OrganizationNotFound, not no users', async () => {
    const c = client({ org: apiError(404, 'Resource not found or you do not have access to this resource') });
    await expect(new CoderMemberReader(c).listUsers(undefined, 'nope')).rejects.toBeInstanceOf(OrganizationNotFoundError);
  });

  it("a group's members from one read, in the default organization unless told", async () => {
    const c = client({
      group: { id: 'g', name: 'devs', organization_id: 'o', members: [{ id: '1', username: 'alice' }], total_member_count: 1 },
    });
    expect(await new CoderMemberReader(c).listGroupMembers('devs')).toEqual([{ username: 'alice', id: '1' }]);
    expect(c.queries).toEqual([['default', 'devs']]);
  });

  it("coderd's 403 for an unlicensed feature is GroupsUnavailable; another 403 stays a 403", async () => {
    const premium = client({ group: apiError(403, 'Template RBAC is a Premium feature. Contact sales!') });
    const error = await new CoderMemberReader(premium).listGroupMembers('devs').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GroupsUnavailableError);
    expect((error as Error).message).toBe(
      'Coder at http://coder.test has no groups: Template RBAC is a Premium feature. (groups need a Coder Premium license); ' +
        'use a users or list generator instead',
    );
    const denied = client({ group: apiError(403, 'Forbidden.') });
    await expect(new CoderMemberReader(denied).listGroupMembers('devs')).rejects.toBeInstanceOf(CoderApiError);
  });

  it('an unknown group is GroupNotFound; members hidden from the token are an error, not fewer members', async () => {
    await expect(
      new CoderMemberReader(client({ group: apiError(404, 'Resource not found') })).listGroupMembers('devs'),
    ).rejects.toBeInstanceOf(GroupNotFoundError);
    const hidden = client({ group: { id: 'g', name: 'devs', organization_id: 'o', members: [], total_member_count: 3 } });
    await expect(new CoderMemberReader(hidden).listGroupMembers('devs')).rejects.toBeInstanceOf(MembersHiddenError);
    const none = client({ group: { id: 'g', name: 'devs', organization_id: 'o', members: null, total_member_count: 0 } });
    expect(await new CoderMemberReader(none).listGroupMembers('devs')).toEqual([]);
  });
});
