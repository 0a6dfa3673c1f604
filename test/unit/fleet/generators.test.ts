import { describe, expect, it } from 'vitest';
import { CoderApiError, CoderNetworkError } from '../../../src/coder/errors.ts';
import { expandGenerators, GroupsUnavailableError, type MemberReader, type MemberUser } from '../../../src/fleet/generators.ts';

interface Calls {
  users: [string | undefined, string | undefined][];
  groups: [string, string | undefined][];
}

function reader(users: MemberUser[], groups: Record<string, MemberUser[] | Error> = {}): MemberReader & { calls: Calls } {
  const calls: Calls = { users: [], groups: [] };
  return {
    calls,
    async listUsers(query, organization) {
      calls.users.push([query, organization]);
      return users;
    },
    async listGroupMembers(name, organization) {
      calls.groups.push([name, organization]);
      const found = groups[name];
      if (found instanceof Error) throw found;
      if (!found) throw new Error(`unknown group ${name}`);
      return found;
    },
  };
}

const bounds = { maxMembers: 1000 };

describe('expandGenerators', () => {
  it('reads once per generator and unions the members, a username found twice counting once', async () => {
    const r = reader(
      [
        { username: 'alice', id: 'u1' },
        { username: 'bob', id: 'u2' },
      ],
      { devs: [{ username: 'Bob' }, { username: 'carol' }] },
    );
    const out = await expandGenerators(
      { generators: [{ users: { query: 'status:active', organization: 'eng' } }, { group: { name: 'devs' } }] },
      r,
      bounds,
    );
    expect(out).toEqual({
      ok: true,
      members: [{ username: 'alice', userId: 'u1' }, { username: 'bob', userId: 'u2' }, { username: 'carol' }],
      perGenerator: [2, 2],
    });
    expect(r.calls).toEqual({ users: [['status:active', 'eng']], groups: [['devs', undefined]] });
  });

  it('drops excluded users without regard to case', async () => {
    const out = await expandGenerators(
      { generators: [{ users: { exclude: ['ADMIN'] } }] },
      reader([{ username: 'admin' }, { username: 'dev' }]),
      bounds,
    );
    expect(out).toMatchObject({ ok: true, members: [{ username: 'dev' }] });
  });

  it('keeps list overrides, also when another generator found the member first', async () => {
    const out = await expandGenerators(
      { generators: [{ users: {} }, { list: { elements: [{ username: 'alice', overrides: { ttl: '1h' } }] } }] },
      reader([{ username: 'alice' }]),
      bounds,
    );
    expect(out).toMatchObject({ ok: true, members: [{ username: 'alice', overrides: { ttl: '1h' } }] });
    const conflict = await expandGenerators(
      {
        generators: [
          { list: { elements: [{ username: 'alice', overrides: { ttl: '1h' } }] } },
          { list: { elements: [{ username: 'alice', overrides: { ttl: '2h' } }] } },
        ],
      },
      reader([]),
      bounds,
    );
    expect(conflict).toMatchObject({ ok: false, reason: 'ConflictingOverrides' });
  });

  it('a failure is an outcome with a reason, never an empty list', async () => {
    const premium = new GroupsUnavailableError('Coder at x has no groups');
    const forbidden = new CoderApiError({ status: 403, method: 'GET', path: '/api/v2/users', response: { message: 'Forbidden.' } });
    const down = new CoderNetworkError({ method: 'GET', path: '/api/v2/users', cause: new Error('ECONNREFUSED'), timedOut: false });
    const cases: [Error, string][] = [
      [premium, 'GroupsUnavailable'],
      [forbidden, 'Forbidden'],
      [down, 'CoderUnavailable'],
    ];
    for (const [error, reason] of cases) {
      const out = await expandGenerators(
        { generators: [{ list: { elements: [{ username: 'a' }] } }, { group: { name: 'devs' } }] },
        reader([], { devs: error }),
        bounds,
      );
      expect(out, reason).toMatchObject({ ok: false, reason });
      expect(out.ok === false && out.message, reason).toMatch(/^generator 2 \(group devs\): /);
    }
  });

  it('refuses a username no Coder would have, and more members than the bound', async () => {
    const hostile = await expandGenerators({ generators: [{ users: {} }] }, reader([{ username: '../../etc' }]), bounds);
    expect(hostile).toMatchObject({ ok: false, reason: 'InvalidMember' });
    const many = Array.from({ length: 5 }, (_, i) => ({ username: `u${i}` }));
    const big = await expandGenerators({ generators: [{ users: {} }] }, reader(many), { maxMembers: 4 });
    expect(big).toMatchObject({ ok: false, reason: 'TooManyMembers' });
  });

  it('an empty result from a working generator is an empty membership (the decision holds it, not the read)', async () => {
    expect(await expandGenerators({ generators: [{ users: { query: 'status:active' } }] }, reader([]), bounds)).toEqual({
      ok: true,
      members: [],
      perGenerator: [0],
    });
  });
});
