// The simulator's workspace search query, for the terms `cwo export` passes
// through: what coderd's searchquery.Workspaces accepts and refuses.
import { describe, expect, it } from 'vitest';
import { parseWorkspaceQuery } from '../../../src/coder-sim/search-query.ts';

const ORG_ID = '7c5b4f3e-1a2b-4c3d-8e9f-0a1b2c3d4e5f';
const lookups = { organizationId: (name: string) => (name === 'platform' ? ORG_ID : undefined) };

describe('workspace search query: the terms export passes through', () => {
  it('resolves an organization name while parsing, ignoring case, and takes a UUID as it is', () => {
    expect(parseWorkspaceQuery('organization:Platform owner:Alice', lookups)).toEqual({ organizationId: ORG_ID, owner: 'alice' });
    const unknownId = '00000000-1111-4222-8333-444444444444';
    expect(parseWorkspaceQuery(`organization:${unknownId}`, lookups)).toEqual({ organizationId: unknownId });
  });

  it('refuses an organization name that does not exist, as coderd does (the whole query is a 400)', () => {
    expect(parseWorkspaceQuery('organization:nope template:docker', lookups)).toEqual([
      {
        field: 'organization',
        detail:
          'Query param "organization" has invalid value: organization "nope" either does not exist, or you are unauthorized to view it',
      },
    ]);
  });

  it('reads outdated as a Go bool and keeps template and owner exact terms', () => {
    expect(parseWorkspaceQuery('outdated:true template:Go-Dev owner:me', lookups)).toEqual({
      outdated: true,
      template: 'go-dev',
      owner: 'me',
    });
    expect(parseWorkspaceQuery('outdated:0', lookups)).toEqual({ outdated: false });
    expect(parseWorkspaceQuery('outdated:maybe', lookups)).toEqual([
      { field: 'outdated', detail: 'Query param "outdated" must be a valid boolean: strconv.ParseBool: parsing "maybe": invalid syntax' },
    ]);
    expect(parseWorkspaceQuery('owner:a owner:b', lookups)).toEqual([
      { field: 'owner', detail: 'Query param "owner" provided more than once, found 2 times' },
    ]);
  });
});
