// The engine entry (engine.ts) and its Coder adapter (external.ts) over the
// scriptable FakeCoder: which reads each observe makes, what apply skips,
// how a batch is applied, and what a status keeps after a pass with nothing to do.
import { describe, expect, it } from 'vitest';
import type { WorkspaceStatus } from '../../../src/api/schema.ts';
import { CoderApiError } from '../../../src/coder/errors.ts';
import type { AdoptionGuard } from '../../../src/engine/adoption-guard.ts';
import { diff } from '../../../src/engine/diff.ts';
import { failuresOf, WorkspaceEngine } from '../../../src/engine/engine.ts';
import { CoderWorkspaces, type OwnerApis } from '../../../src/engine/external.ts';
import type { ApplyResult } from '../../../src/engine/apply.ts';
import type { DesiredWorkspace } from '../../../src/engine/types.ts';
import { coderWorkspace, FakeCoder } from './fake-coder.ts';
import { desired, HOUR } from './fixtures.ts';

const coderUrl = 'https://coder.example.com';
const now = new Date('2026-11-10T12:00:00.000Z');
const ALICE = '22222222-2222-4222-8222-222222222222';

/** An owner client that is another FakeCoder (a minted token), so favoriteVia is reported. */
function setup(opts: { ownerFails?: unknown } = {}) {
  const admin = new FakeCoder();
  const asOwner = new FakeCoder();
  const minted: string[] = [];
  const owners: OwnerApis = {
    scopesInUse: 'coder:all',
    forOwner: async (owner) => {
      minted.push(owner);
      if (opts.ownerFails !== undefined) throw opts.ownerFails;
      return asOwner;
    },
  };
  const engine = new WorkspaceEngine(new CoderWorkspaces(admin, owners), { coderUrl });
  return { admin, asOwner, minted, engine };
}

const notFound = (status: number) =>
  new CoderApiError({ status, method: 'GET', path: '/api/v2/workspaces/x', response: { message: 'gone' } });

describe('WorkspaceEngine.observe (a batch)', () => {
  it.each<{ name: string; decl: Partial<DesiredWorkspace>; mints: string[] }>([
    { name: 'favorite managed: one list as the owner', decl: { favorite: true }, mints: ['alice'] },
    { name: 'favorite not managed: no owner read', decl: {}, mints: [] },
    { name: 'managementPolicies [Observe]: no owner token is minted', decl: { favorite: true, observeOnly: true }, mints: [] },
  ])('$name', async ({ decl, mints }) => {
    const t = setup();
    t.admin.listed = [coderWorkspace({ ttl_ms: 8 * HOUR })];
    t.asOwner.listed = [coderWorkspace({ ttl_ms: 8 * HOUR, favorite: true })];
    const { snapshot, favoriteErrors } = await t.engine.observe([desired(decl)]);
    expect(t.minted).toEqual(mints);
    expect(favoriteErrors.size).toBe(0);
    const seen = snapshot.get(coderWorkspace().id)!;
    expect(seen.favorite).toBe(mints.length > 0 ? true : undefined);
    expect(seen.favoriteVia).toBe(mints.length > 0 ? 'coder:all' : undefined);
  });

  it('an owner whose favorites cannot be read is reported, the list still stands', async () => {
    const refused = new Error('token mint refused');
    const t = setup({ ownerFails: refused });
    t.admin.listed = [coderWorkspace()];
    const { snapshot, favoriteErrors } = await t.engine.observe([desired({ favorite: true })]);
    expect([...favoriteErrors]).toEqual([[ALICE, refused]]);
    expect(snapshot.get(coderWorkspace().id)?.favorite).toBeUndefined();
  });
});

describe('WorkspaceEngine.observeFavorite (one workspace)', () => {
  it('reads the owner list once and merges the favorite into what the snapshot knows', async () => {
    const t = setup();
    t.admin.listed = [coderWorkspace({ ttl_ms: 8 * HOUR })];
    t.asOwner.listed = [coderWorkspace({ ttl_ms: 1, favorite: true })];
    const { snapshot } = await t.engine.observe([desired()]);
    const before = snapshot.get(coderWorkspace().id)!;
    const after = await t.engine.observeFavorite(snapshot, desired({ favorite: true }), before);
    expect(t.minted).toEqual(['alice']);
    // The admin's copy stays; only what the owner alone sees is taken from the owner's list.
    expect(after).toEqual({ ...before, favorite: true, favoriteVia: 'coder:all' });
    expect(snapshot.get(before.id)).toEqual(after);
  });

  it('a favorite already known, or not managed, costs no read', async () => {
    const t = setup();
    t.admin.listed = [coderWorkspace()];
    const { snapshot } = await t.engine.observe([desired()]);
    const seen = snapshot.get(coderWorkspace().id)!;
    expect(await t.engine.observeFavorite(snapshot, desired(), seen)).toBe(seen);
    const known = { ...seen, favorite: false };
    expect(await t.engine.observeFavorite(snapshot, desired({ favorite: true }), known)).toBe(known);
    expect(t.minted).toEqual([]);
  });
});

describe('WorkspaceEngine.apply', () => {
  it.each([
    { name: 'no action', decl: desired({ ttlMs: 8 * HOUR }) },
    { name: 'managementPolicies [Observe]', decl: desired({ ttlMs: 4 * HOUR, observeOnly: true }) },
  ])('$name: nothing applied, no Coder call', async ({ decl }) => {
    const t = setup();
    t.admin.listed = [coderWorkspace({ ttl_ms: 8 * HOUR })];
    const { snapshot } = await t.engine.observe([decl]);
    const calls = t.admin.calls.length;
    const plan = t.engine.plan(decl, snapshot.get(coderWorkspace().id));
    expect(await t.engine.apply(plan)).toBeUndefined();
    expect(t.admin.calls.length).toBe(calls);
  });

  it('an adoption guard sees each create and may refuse a workspace found by owner + name, for its plan only', async () => {
    const t = setup();
    const seen: string[] = [];
    const guard: AdoptionGuard = {
      created: (id) => void seen.push(`created ${id}`),
      found: (ws) => {
        seen.push(`found ${ws.ownerName}/${ws.name}`);
        throw new Error('held by team-b/dev');
      },
    };
    // Coder refuses the create as taken: the workspace found by owner + name is not adopted under the guard.
    t.admin.failures.createWorkspace = new CoderApiError({
      status: 409,
      method: 'POST',
      path: '/api/v2/users/alice/workspaces',
      response: { message: 'taken' },
    });
    t.admin.found = coderWorkspace();
    const refused = await t.engine.apply(t.engine.plan(desired(), undefined), guard);
    expect(refused?.outcomes[0]).toMatchObject({ action: { kind: 'create' }, ok: false, error: new Error('held by team-b/dev') });
    expect(seen).toEqual([`found ${coderWorkspace().owner_name}/${coderWorkspace().name}`]);
    // Without it, the same create adopts the workspace.
    expect((await t.engine.apply(t.engine.plan(desired(), undefined)))?.origin).toBe('adopted');
    expect(seen).toHaveLength(1);
    delete t.admin.failures.createWorkspace;
    expect((await t.engine.apply(t.engine.plan(desired(), undefined), guard))?.origin).toBe('created');
    expect(seen.at(-1)).toBe(`created ${t.admin.created.id}`);
  });

  it('applyAll keeps plan order, gives a no-op plan an empty result and runs at most `concurrency` at once', async () => {
    const t = setup();
    let inFlight = 0;
    let most = 0;
    const setTtl = t.admin.setTtl;
    t.admin.setTtl = async (id, ms) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      return setTtl(id, ms);
    };
    const ws = (i: number) => coderWorkspace({ id: `ws-${i}`, name: `w${i}`, ttl_ms: HOUR });
    t.admin.listed = [0, 1, 2, 3, 4].map(ws);
    const decls = [0, 1, 2, 3, 4].map((i) => desired({ key: `k${i}`, name: `w${i}`, ttlMs: i === 2 ? HOUR : 4 * HOUR }));
    const { snapshot } = await t.engine.observe(decls);
    const plans = decls.map((d, i) => t.engine.plan(d, snapshot.get(`ws-${i}`)));
    const results = await t.engine.applyAll(plans, 2);
    expect(results.map((r) => [r.key, r.outcomes.length])).toEqual([
      ['k0', 1],
      ['k1', 1],
      ['k2', 0],
      ['k3', 1],
      ['k4', 1],
    ]);
    expect(most).toBe(2);
  });
});

describe('WorkspaceEngine.status', () => {
  const settled = (reason: string): WorkspaceStatus => ({
    conditions: [{ type: 'Synced', status: 'True', reason, message: 'earlier', lastTransitionTime: '2026-11-01T00:00:00.000Z' }],
  });

  it.each([
    { name: 'nothing applied after a create: Created stays', previous: settled('Created'), applied: false, reason: 'Created' },
    { name: 'nothing applied after an update: Updated stays', previous: settled('Updated'), applied: false, reason: 'Updated' },
    { name: 'nothing applied, no earlier status: UpToDate', previous: undefined, applied: false, reason: 'UpToDate' },
    { name: 'an update applied: Updated, whatever came before', previous: settled('Created'), applied: true, reason: 'Updated' },
  ])('$name', async ({ previous, applied, reason }) => {
    const t = setup();
    t.admin.listed = [coderWorkspace({ ttl_ms: 8 * HOUR })];
    const { snapshot } = await t.engine.observe([desired()]);
    const observed = snapshot.get(coderWorkspace().id)!;
    const plan = t.engine.plan(desired({ ttlMs: applied ? 4 * HOUR : 8 * HOUR }), observed);
    const result = await t.engine.apply(plan);
    expect(result !== undefined).toBe(applied);
    const status = t.engine.status(plan, result, { previous, generation: 2, now });
    expect(status.conditions?.find((c) => c.type === 'Synced')).toMatchObject({ reason, observedGeneration: 2 });
  });
});

describe('failuresOf', () => {
  it('lists failed actions with their errors, not the ones skipped after them', () => {
    const error = new Error('create failed');
    const plan = diff(desired(), undefined);
    const [create, ...rest] = plan.actions;
    const result: ApplyResult = {
      key: plan.key,
      observed: undefined,
      outcomes: [
        { action: create!, ok: false, error },
        ...rest.map((action) => ({ action, ok: false as const, skipped: true as const, because: 'create' as const })),
      ],
    };
    expect(failuresOf(result)).toEqual([{ action: create, error }]);
    expect(failuresOf(undefined)).toEqual([]);
  });
});

describe('CoderWorkspaces.get', () => {
  it.each([
    { name: '404', answer: () => Promise.reject(notFound(404)) },
    { name: '410', answer: () => Promise.reject(notFound(410)) },
    {
      name: 'a finished delete build',
      answer: () => {
        const ws = coderWorkspace();
        return Promise.resolve({ ...ws, latest_build: { ...ws.latest_build, transition: 'delete' as const, status: 'deleted' as const } });
      },
    },
  ])('$name: the workspace is gone', async ({ answer }) => {
    const api = new FakeCoder();
    api.getWorkspace = answer;
    expect(await new CoderWorkspaces(api, { forOwner: async () => api }).get('x')).toBeUndefined();
  });

  it('any other failure is the caller’s to handle', async () => {
    const api = new FakeCoder();
    api.getWorkspace = () => Promise.reject(notFound(500));
    await expect(new CoderWorkspaces(api, { forOwner: async () => api }).get('x')).rejects.toThrow('500');
  });
});

describe("a setting's own read (the table's `read`: spec.sharing's ACL)", () => {
  const SHARED = { users: [{ name: 'bob', role: 'use' as const }], groups: [] };
  const ACL_ROUTE = 'GET /api/v2/workspaces/{workspace}/acl';
  const idOf = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  const aclReads = (coder: FakeCoder) =>
    coder.calls.filter((c) => c.method === 'send' && c.args[0] === ACL_ROUTE).map((c) => (c.args[1] as { workspace: string }).workspace);

  it('a batch reads the ACL only of workspaces whose declaration manages it, at most 8 at once, and never throws', async () => {
    const t = setup();
    t.admin.listed = Array.from({ length: 20 }, (_, i) => coderWorkspace({ id: idOf(i), name: `ws-${i}` }));
    // Every read waits until the test lets it go, so the reads in flight can be counted.
    let inFlight = 0;
    let most = 0;
    const send = t.admin.send;
    const asked: string[] = [];
    t.admin.send = (async (call: Parameters<FakeCoder['send']>[0], params: { workspace: string }) => {
      asked.push(params.workspace);
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      if (params.workspace === idOf(3))
        throw new CoderApiError({ status: 503, method: 'GET', path: '/api/v2/workspaces/x/acl', response: { message: 'busy' } });
      if (params.workspace === idOf(4))
        throw new CoderApiError({
          status: 404,
          method: 'GET',
          path: '/api/v2/workspaces/x/acl',
          response: { message: 'Route not found.' },
        });
      return (send as (c: unknown, p: unknown) => Promise<unknown>)(call, params);
    }) as FakeCoder['send'];
    // ws-19 does not manage spec.sharing: its ACL is nobody's business.
    const decls = Array.from({ length: 20 }, (_, i) =>
      desired({ key: `ns/ws-${i}`, name: `ws-${i}`, ...(i === 19 ? {} : { sharing: SHARED }) }),
    );
    const { snapshot } = await t.engine.observe(decls);
    expect(most).toBe(8);
    expect(asked.sort()).toEqual(Array.from({ length: 19 }, (_, i) => idOf(i)).sort());
    expect(snapshot.get(idOf(0))!.sharing).toEqual({ users: [], groups: [] });
    expect(snapshot.get(idOf(19))!.sharing).toBeUndefined();
    // An answer that did not come is read again at the next look; a server without the route is a reason.
    expect(snapshot.get(idOf(3))!.sharing).toMatchObject({ transient: true });
    expect(snapshot.get(idOf(4))!.sharing).toEqual({ unavailable: expect.stringContaining('v2.27.0 or later') });
    expect(diff(decls[4]!, snapshot.get(idOf(4))!).blocked.map((b) => b.reason)).toEqual(['SharingUnavailable']);
    expect(diff(decls[3]!, snapshot.get(idOf(3))!).blocked.map((b) => b.reason)).toEqual(['SharingUnreadable']);
  });

  it('one workspace (the operator): read when managed, beside the favorite; not read otherwise', async () => {
    const t = setup();
    t.asOwner.listed = [coderWorkspace()];
    t.admin.answers[ACL_ROUTE] = { users: [{ id: 'u-bob', username: 'bob', role: 'use' }], group: null };
    t.admin.listed = [coderWorkspace()];
    const { snapshot } = await t.engine.observe([desired()]);
    const seen = snapshot.get(coderWorkspace().id)!;
    t.admin.calls.length = 0;
    expect((await t.engine.observeFavorite(snapshot, desired(), seen)).sharing).toBeUndefined();
    expect(aclReads(t.admin)).toEqual([]);
    const read = await t.engine.observeFavorite(snapshot, desired({ sharing: SHARED, favorite: true }), seen);
    expect(aclReads(t.admin)).toEqual([coderWorkspace().id]);
    expect(read.sharing).toEqual({ users: [{ id: 'u-bob', name: 'bob', role: 'use' }], groups: [] });
    expect(read.favorite).toBe(false);
  });
});
