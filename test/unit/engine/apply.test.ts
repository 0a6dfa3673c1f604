import { describe, expect, it } from 'vitest';
import { applyPlan, type ApplyDeps } from '../../../src/engine/apply.ts';
import { waitForBuild } from '../../../src/engine/build-wait.ts';
import { CoderWorkspaces } from '../../../src/engine/external.ts';
import { diff } from '../../../src/engine/diff.ts';
import { CreateResolver } from '../../../src/engine/resolve.ts';
import { CoderApiError, CoderNetworkError } from '../../../src/coder/errors.ts';
import { coderWorkspace, FakeCoder } from './fake-coder.ts';
import { desired, HOUR, observed } from './fixtures.ts';

function deps(coder: FakeCoder, owner?: FakeCoder): ApplyDeps {
  return { api: coder, resolver: new CreateResolver(coder), ownerApi: async () => owner ?? coder };
}

const serverError = (status: number, message = 'boom') =>
  new CoderApiError({ status, method: 'POST', path: '/api/v2/users/alice/workspaces', response: { message } });

describe('applyPlan: settings', () => {
  it('makes one call per action, in plan order, addressing the workspace by id', async () => {
    const coder = new FakeCoder();
    const plan = diff(desired({ name: 'alice-main', ttlMs: HOUR, automaticUpdates: 'always', dormant: true }), observed());
    const result = await applyPlan(plan, deps(coder));
    const id = observed().id;
    expect(coder.writes()).toEqual([
      { method: 'renameWorkspace', args: [id, 'alice-main'] },
      { method: 'setTtl', args: [id, HOUR] },
      { method: 'setAutomaticUpdates', args: [id, 'always'] },
      { method: 'setDormant', args: [id, true] },
    ]);
    expect(result.outcomes.every((o) => o.ok)).toBe(true);
    expect(result.observed).toMatchObject({ name: 'alice-main', ttlMs: HOUR, automaticUpdates: 'always', dormant: true });
    expect(coder.calls.filter((c) => c.method === 'getWorkspace')).toEqual([]); // no read-back
  });

  it('a failed setting does not stop the independent ones', async () => {
    const coder = new FakeCoder();
    coder.failures.setTtl = new CoderApiError({ status: 400, method: 'PUT', path: '/x', response: { message: 'bad ttl' } });
    const result = await applyPlan(diff(desired({ ttlMs: HOUR, automaticUpdates: 'always' }), observed()), deps(coder));
    expect(result.outcomes.map((o) => [o.action.kind, o.ok])).toEqual([
      ['ttl', false],
      ['autoupdates', true],
    ]);
    expect(result.observed?.ttlMs).toBeNull(); // unchanged: the write failed
  });

  it('sets a favorite through the owner client, not the admin one', async () => {
    const admin = new FakeCoder();
    const owner = new FakeCoder();
    owner.identity = 'alice';
    await applyPlan(diff(desired({ favorite: true }), observed()), deps(admin, owner));
    expect(admin.writes()).toEqual([]);
    expect(owner.writes()).toEqual([{ method: 'setFavorite', args: [observed().id, true, 'alice'] }]);
  });

  it('takes the full workspace from a 200 dormancy answer, keeping what a workspace object cannot show', async () => {
    const coder = new FakeCoder();
    coder.setDormant = async (id: string, d: boolean) => {
      coder.calls.push({ method: 'setDormant', args: [id, d] });
      return coderWorkspace({ dormant_at: '2026-11-23T00:00:00Z', name: 'renamed-meanwhile' });
    };
    const sharing = { users: [{ id: 'u-bob', name: 'bob', role: 'use' as const }], groups: [] };
    const result = await applyPlan(diff(desired({ dormant: true }), observed({ favorite: true, sharing })), deps(coder));
    expect(result.observed?.dormant).toBe(true);
    expect(result.observed?.name).toBe('renamed-meanwhile');
    // The favorite (owner's list) and the ACL (its own read) are the settings' unlistedFields.
    expect(result.observed?.favorite).toBe(true);
    expect(result.observed?.sharing).toEqual(sharing);
  });
});

describe('applyPlan: create', () => {
  it('creates with resolved template id, then plans follow-ups from the answer', async () => {
    const coder = new FakeCoder();
    coder.created = coderWorkspace({ ttl_ms: 2 * HOUR }); // template default gave a TTL
    const result = await applyPlan(diff(desired({ ttlMs: 0, favorite: true }), undefined), deps(coder));
    expect(coder.writes().map((c) => c.method)).toEqual(['createWorkspace', 'setTtl', 'setFavorite']);
    expect(coder.writes()[0]!.args).toEqual(['alice', { name: 'alice-dev', template_id: 'tpl-1' }]);
    expect(result.origin).toBe('created');
  });

  it('skips the TTL follow-up when the template default already is off', async () => {
    const coder = new FakeCoder();
    coder.created = coderWorkspace(); // no ttl_ms: off
    await applyPlan(diff(desired({ ttlMs: 0 }), undefined), deps(coder));
    expect(coder.writes().map((c) => c.method)).toEqual(['createWorkspace']);
  });

  it('resolves the organization and template once for many creates', async () => {
    const coder = new FakeCoder();
    const d = deps(coder);
    for (const name of ['a', 'b', 'c']) await applyPlan(diff(desired({ name, key: `ns/${name}` }), undefined), d);
    expect(coder.calls.filter((c) => c.method === 'getOrganization')).toHaveLength(1);
    expect(coder.calls.filter((c) => c.method === 'getTemplateByName')).toHaveLength(1);
  });

  it('a failed create skips every follow-up of that workspace', async () => {
    const coder = new FakeCoder();
    coder.failures.createWorkspace = serverError(403, 'Unauthorized to create workspace.');
    const result = await applyPlan(diff(desired({ ttlMs: 0, dormant: true }), undefined), deps(coder));
    expect(result.outcomes.map((o) => (o.ok ? 'ok' : o.skipped ? 'skipped' : 'failed'))).toEqual(['failed', 'skipped', 'skipped']);
    expect(coder.calls.filter((c) => c.method === 'findWorkspace')).toEqual([]); // a 403 is a clear no
    expect(result.observed).toBeUndefined();
  });

  it.each([
    {
      name: 'a lost answer (no response)',
      error: new CoderNetworkError({ method: 'POST', path: '/x', cause: new Error('socket hang up'), timedOut: false }),
      origin: 'created',
    },
    {
      name: 'a timeout',
      error: new CoderNetworkError({ method: 'POST', path: '/x', cause: undefined, timedOut: true }),
      origin: 'created',
    },
    { name: 'a 500 after commit', error: serverError(500), origin: 'created' },
    { name: 'a 409 (someone made it first)', error: serverError(409, 'Workspace "alice-dev" already exists.'), origin: 'adopted' },
  ])('never retries a create blindly: after $name it looks up owner + name', async ({ error, origin }) => {
    const coder = new FakeCoder();
    coder.failures.createWorkspace = error;
    coder.found = coderWorkspace();
    const result = await applyPlan(diff(desired(), undefined), deps(coder));
    expect(coder.calls.filter((c) => c.method === 'createWorkspace')).toHaveLength(1);
    expect(coder.calls.filter((c) => c.method === 'findWorkspace').map((c) => c.args)).toEqual([['alice', 'alice-dev']]);
    expect(result.outcomes[0]!.ok).toBe(true);
    expect(result.origin).toBe(origin);
  });

  it('reports the create error when the lookup finds nothing', async () => {
    const coder = new FakeCoder();
    const error = serverError(500);
    coder.failures.createWorkspace = error;
    const result = await applyPlan(diff(desired(), undefined), deps(coder));
    expect(result.outcomes[0]).toMatchObject({ ok: false, error });
  });
});

describe('applyPlan: delete and waitForBuild', () => {
  it('starts a delete build and reports its id', async () => {
    const coder = new FakeCoder();
    const plan = { ...diff(desired(), observed()), actions: [{ kind: 'delete' as const, policy: 'Delete' as const }] };
    const result = await applyPlan(plan, deps(coder));
    expect(coder.writes()).toEqual([{ method: 'createBuild', args: [observed().id, { transition: 'delete' }] }]);
    expect(result.deleteBuildId).toBe('delete-build');
  });

  it('polls until the job ends, or gives up at the deadline', async () => {
    const coder = new FakeCoder();
    const builds = new CoderWorkspaces(coder, { forOwner: async () => coder });
    const states = ['pending', 'running', 'succeeded'] as const;
    let i = 0;
    coder.getBuild = async (id: string) => ({ ...coder.created.latest_build, id, job: { id: 'j', created_at: '', status: states[i++]! } });
    let t = 0;
    const opts = { timeoutMs: 10_000, pollMs: 100, sleep: async (ms: number) => void (t += ms), now: () => t };
    expect(await waitForBuild(builds, 'b', opts)).toBe('succeeded');
    expect(i).toBe(3);
    coder.getBuild = async (id: string) => ({
      ...coder.created.latest_build,
      id,
      job: { id: 'j', created_at: '', status: 'running' as const },
    });
    expect(await waitForBuild(builds, 'b', { ...opts, timeoutMs: 1_000 })).toBe('timeout');
  });
});
