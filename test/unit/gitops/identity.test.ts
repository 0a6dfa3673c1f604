import { describe, expect, it } from 'vitest';
import { CoderApiError } from '../../../src/coder/errors.ts';
import { Snapshot, toObserved } from '../../../src/engine/observe.ts';
import type { DesiredWorkspace } from '../../../src/engine/types.ts';
import { ownerDuplicates, ownerKeys } from '../../../src/gitops/identity.ts';
import { coderWorkspace } from '../engine/fake-coder.ts';

const ALICE = '22222222-2222-4222-8222-222222222222';
const BOB = 'bbbbbbbb-2222-4222-8222-222222222222';

function desired(file: string, owner: string, name = 'dev'): DesiredWorkspace {
  return {
    key: `default/${file}`,
    source: { file: `${file}.yaml`, document: 0 },
    owner,
    name,
    parameters: [],
    deletionPolicy: 'Orphan',
    specDigest: '',
  } as DesiredWorkspace;
}

function users(known: Record<string, string>) {
  const asked: string[] = [];
  return {
    asked,
    user: async (user: string) => {
      asked.push(user);
      const id = known[user.toLowerCase()];
      if (!id) throw new CoderApiError({ status: 404, method: 'GET', path: `/api/v2/users/${user}`, response: { message: 'not found' } });
      return { id, username: user };
    },
  };
}

// alice has a workspace: the list pass already tells her id.
const snapshot = new Snapshot([toObserved(coderWorkspace({ owner_name: 'alice', owner_id: ALICE }), false)]);

describe('owners compared as Coder resolves them', () => {
  it('owners all written as usernames: compared ignoring case, no lookup', async () => {
    const api = users({});
    const list = [desired('a', 'alice'), desired('b', 'Alice'), desired('c', 'carol')];
    const errors = ownerDuplicates(list, await ownerKeys(list, snapshot, api));
    expect(api.asked).toEqual([]);
    expect(errors.map((e) => e.file)).toEqual(['a.yaml', 'b.yaml']);
  });

  it('a UUID and a name of one user are one owner; only owners the list did not show are looked up', async () => {
    const api = users({ bob: BOB });
    const list = [
      desired('a', 'alice'),
      desired('b', ALICE.toUpperCase()),
      desired('c', 'bob'),
      desired('d', BOB),
      desired('e', 'bob', 'other'),
      desired('f', 'nobody'),
    ];
    const errors = ownerDuplicates(list, await ownerKeys(list, snapshot, api));
    expect(api.asked.sort()).toEqual(['bob', 'nobody']);
    expect(errors.map((e) => [e.file, e.field])).toEqual([
      ['a.yaml', 'spec.owner'],
      ['b.yaml', 'spec.owner'],
      ['c.yaml', 'spec.owner'],
      ['d.yaml', 'spec.owner'],
    ]);
    expect(errors[0]!.message).toBe(
      `alice/dev is declared twice: a.yaml document 0 and b.yaml document 0 (owners "alice", "${ALICE.toUpperCase()}" ` +
        'are one Coder user, and a Coder workspace name is unique per owner, ignoring case)',
    );
  });

  it('a lookup that fails for another reason fails the run before any write', async () => {
    const api = { user: async () => Promise.reject(new Error('connection reset')) };
    await expect(ownerKeys([desired('a', BOB), desired('b', 'bob')], snapshot, api)).rejects.toThrow('connection reset');
  });
});
