// The Argo CD health check for WorkspaceSets (examples/argocd/workspaceset-health.lua)
// run by a real Lua 5.4 against statuses made by the operator's own status code
// (src/controller/workspaceset/set-status.ts), as Argo CD loads it: a function of `obj`
// (test/support/argocd-health-check.ts).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WorkspaceSetStatus } from '../../../src/api/schema.ts';
import { setStatus, type ChildCounts, type PassResult } from '../../../src/controller/workspaceset/set-status.ts';
import { argoHealthCheck, LUA } from '../../support/argocd-health-check.ts';
import { requiredOnCi } from '../../support/real-part.ts';

const CHECK = join(import.meta.dirname, '../../../examples/argocd/workspaceset-health.lua');
const NOW = new Date('2026-12-07T10:00:00Z');

const check = argoHealthCheck(CHECK);

async function health(status: WorkspaceSetStatus | undefined, generation = 1): Promise<{ status: string; message: string }> {
  const obj = {
    apiVersion: 'coderops.dev/v1alpha1',
    kind: 'WorkspaceSet',
    metadata: { name: 'devs', namespace: 'team-a', generation },
    spec: {},
    ...(status ? { status } : {}),
  };
  return check(obj);
}

const counts = (c: Partial<ChildCounts> = {}): ChildCounts => ({ children: 3, ready: 3, updating: 0, failed: 0, ...c });
const status = (result: PassResult, c: Partial<ChildCounts> = {}) =>
  setStatus({ previous: undefined, generation: 1, now: NOW, members: 3, lastMembers: 3, counts: counts(c), result, refreshedAt: NOW });
const applied: PassResult = { kind: 'applied', missing: 0, writeFailures: [], conflicts: [] };

describe.skipIf(!LUA)('Argo CD health check for WorkspaceSet (Lua)', () => {
  it('every child ready is Healthy', async () => {
    expect(await health(status(applied))).toEqual({ status: 'Healthy', message: 'all 3 children ready' });
  });

  it('children being created or updated, or a transient generator failure, is Progressing', async () => {
    expect((await health(status(applied, { ready: 1, updating: 2 }))).status).toBe('Progressing');
    expect((await health(status({ ...applied, missing: 2 }, { children: 1, ready: 1 }))).status).toBe('Progressing');
    const down = status({ kind: 'held', reason: 'CoderUnavailable', message: 'no answer', needsAction: false });
    expect(await health(down)).toEqual({ status: 'Progressing', message: 'CoderUnavailable: no answer' });
  });

  it.each(['TooManyRemovals', 'MembershipEmpty', 'GroupsUnavailable', 'NameCollision'])('a held pass (%s) is Degraded', async (reason) => {
    const hs = await health(status({ kind: 'held', reason, message: 'held', needsAction: true }));
    expect(hs).toEqual({ status: 'Degraded', message: `${reason}: held` });
  });

  it('children that all failed are Degraded; some failed while others progress is Progressing', async () => {
    expect((await health(status(applied, { ready: 1, failed: 2 }))).status).toBe('Degraded');
    expect((await health(status(applied, { ready: 0, updating: 1, failed: 2 }))).status).toBe('Progressing');
  });

  it('no status yet, or a status for an older generation, is Progressing', async () => {
    expect((await health(undefined)).status).toBe('Progressing');
    expect(await health(status(applied), 2)).toEqual({
      status: 'Progressing',
      message: 'the operator has not reconciled generation 2 yet',
    });
  });
});

// .ci/run installs lua5.4; on CI a missing interpreter is a failure, not a skip.
requiredOnCi('a Lua interpreter', LUA !== undefined, 'install lua5.4 (apt-get install -y lua5.4)');
