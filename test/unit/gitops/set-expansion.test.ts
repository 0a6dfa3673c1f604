// The CLI's expansion of a WorkspaceSet against the children the state
// records (src/gitops/set-expansion.ts): an unchanged child is declared again
// from the member Coder lists now, found by the member key (usernames compare
// without regard to case), and a child whose member is gone is never declared
// as unchanged.
import { describe, expect, it } from 'vitest';
import type { WorkspaceSet } from '../../../src/api/schema.ts';
import type { MemberReader } from '../../../src/fleet/generators.ts';
import { expandSets } from '../../../src/gitops/set-expansion.ts';
import type { StateEntry, StateFile } from '../../../src/gitops/state.ts';

const set: WorkspaceSet = {
  apiVersion: 'coderops.dev/v1alpha1',
  kind: 'WorkspaceSet',
  metadata: { name: 'devs', namespace: 'team-a' },
  spec: { generators: [{ users: { query: 'status:active' } }], template: { spec: { template: 'docker' } } },
};

function entry(member: string): StateEntry {
  const name = `devs-${member.toLowerCase()}`;
  return {
    key: `team-a/${name}`,
    id: `id-${name}`,
    owner: member,
    ownerId: `user-${member}`,
    name,
    organizationId: 'org',
    origin: 'created',
    deletionPolicy: 'Orphan',
    management: 'Full',
    source: '/sets.yaml',
    lastAppliedAt: '2026-12-07T00:00:00Z',
    set: 'team-a/devs',
    member,
  };
}

async function expand(usernames: string[], recorded: string[]) {
  const reader: MemberReader = {
    listUsers: async () => usernames.map((username) => ({ username, id: `user-${username}` })),
    listGroupMembers: async () => [],
  };
  const state: StateFile = {
    version: 2,
    coderUrl: 'https://coder.example.com',
    entries: Object.fromEntries(recorded.map((m) => [entry(m).key, entry(m)])),
    sets: { 'team-a/devs': { members: recorded.length } },
  };
  return expandSets({
    sets: [{ source: { file: '/sets.yaml', document: 1 }, set, key: 'team-a/devs' }],
    workspaces: [],
    state,
    reader,
    bounds: { maxMembers: 100 },
    acknowledged: [],
    defaultDeletionPolicy: 'Orphan',
  });
}

describe('expandSets: unchanged children', () => {
  it('declares each recorded child again for the member Coder lists now, whatever the case of the recorded name', async () => {
    const out = await expand(['alice', 'Bob', 'carol'], ['Alice', 'bob', 'carol']);
    expect(out.errors).toEqual([]);
    expect(out.children.map((c) => [c.key, c.workspace.spec.owner, c.workspace.spec.suspend])).toEqual([
      ['team-a/devs-alice', 'alice', undefined],
      ['team-a/devs-bob', 'Bob', undefined],
      ['team-a/devs-carol', 'carol', undefined],
    ]);
    expect(out.summaries[0]).toMatchObject({ members: 3, children: 3, joining: [], leaving: [] });
    expect(out.kept).toEqual([]);
  });

  it('a member who left is kept suspended under createUpdate, never declared as an unchanged child', async () => {
    const out = await expand(['alice'], ['alice', 'bob']);
    expect(out.children.map((c) => c.key)).toEqual(['team-a/devs-alice']);
    expect(out.kept.map((c) => [c.key, c.workspace.spec.suspend])).toEqual([['team-a/devs-bob', true]]);
    expect(out.summaries[0]?.leaving).toEqual([{ key: 'team-a/devs-bob', member: 'bob', outcome: 'kept' }]);
  });
});
