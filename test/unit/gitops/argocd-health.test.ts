// The Argo CD health check (examples/argocd/workspace-health.lua) run by a
// real Lua 5.4 against statuses made by our own status code: each scenario's
// status is computed at test time, written out as a Lua table, and the check
// is loaded as a function of `obj`, as Argo CD does (test/support/argocd-health-check.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WorkspaceStatus } from '../../../src/api/schema.ts';
import { CoderApiError } from '../../../src/coder/errors.ts';
import { NEEDS_ACTION } from '../../../src/engine/progress-conditions.ts';
import { computeStatus, setCondition } from '../../../src/engine/status.ts';
import type { WorkspacePlan } from '../../../src/engine/types.ts';
import { argoHealthCheck, LUA } from '../../support/argocd-health-check.ts';
import { requiredOnCi } from '../../support/real-part.ts';
import { desired, observed } from '../engine/fixtures.ts';

const CHECK = join(import.meta.dirname, '../../../examples/argocd/workspace-health.lua');
const NOW = new Date('2026-11-20T10:00:00Z');

const health = argoHealthCheck(CHECK);

function plan(over: Partial<WorkspacePlan> = {}): WorkspacePlan {
  return { key: 'team-a/alice-dev', desired: desired(), observed: observed(), actions: [], blocked: [], drift: [], ...over };
}

function resource(status: WorkspaceStatus | undefined, extra: { generation?: number; suspend?: boolean } = {}) {
  return {
    apiVersion: 'coderops.dev/v1alpha1',
    kind: 'Workspace',
    metadata: { name: 'alice-dev', namespace: 'team-a', generation: extra.generation ?? 1 },
    spec: { owner: 'alice', template: 'docker', ...(extra.suspend ? { suspend: true } : {}) },
    ...(status ? { status } : {}),
  };
}

const status = (p: WorkspacePlan, result?: Parameters<typeof computeStatus>[0]['result']) =>
  computeStatus({ plan: p, coderUrl: 'https://coder.example.com', now: NOW, generation: 1, ...(result ? { result } : {}) });

describe.skipIf(!LUA)('Argo CD health check (Lua)', () => {
  it('Ready=True is Healthy', async () => {
    expect(await health(resource(status(plan(), { key: 'k', observed: observed(), outcomes: [] })))).toEqual({
      status: 'Healthy',
      message: 'workspace is running and matches the spec',
    });
  });

  it.each([
    { name: 'RenamesDisabled', p: plan({ blocked: [{ field: 'spec.name', reason: 'RenamesDisabled', message: 'renames are disabled' }] }) },
    {
      name: 'TemplateMismatch',
      p: plan({ blocked: [{ field: 'spec.template', reason: 'TemplateMismatch', message: 'template differs' }] }),
    },
    { name: 'OwnerMismatch', p: plan({ blocked: [{ field: 'spec.owner', reason: 'OwnerMismatch', message: 'owner differs' }] }) },
  ])('Synced=False $name is Degraded', async ({ name, p }) => {
    const hs = await health(resource(status(p)));
    expect(hs.status).toBe('Degraded');
    expect(hs.message.startsWith(`${name}: `)).toBe(true);
  });

  it.each([
    { code: 403, reason: 'Forbidden', health: 'Degraded' },
    { code: 400, reason: 'CoderRejected', health: 'Degraded' },
    { code: 404, reason: 'NotFound', health: 'Degraded' },
    { code: 429, reason: 'RateLimited', health: 'Progressing' },
    { code: 503, reason: 'CoderError', health: 'Progressing' },
  ])('a $code answer from Coder ($reason) is $health', async ({ code, reason, health: expected }) => {
    const error = new CoderApiError({ status: code, method: 'PUT', path: '/api/v2/workspaces/x/ttl', response: { message: 'no.' } });
    const action = { kind: 'ttl', fromMs: null, toMs: 3_600_000 } as const;
    const s = status(plan({ actions: [action] }), { key: 'k', observed: observed(), outcomes: [{ action, ok: false, error }] });
    expect(s.conditions!.find((c) => c.type === 'Synced')!.reason).toBe(reason);
    expect((await health(resource(s))).status).toBe(expected);
  });

  it('InvalidSpec (set by the operator through setCondition) is Degraded', async () => {
    const conditions = setCondition([], { type: 'Synced', status: 'False', reason: 'InvalidSpec', message: 'spec.ttl: bad' }, NOW, 1);
    expect(await health(resource({ observedGeneration: 1, conditions }))).toEqual({
      status: 'Degraded',
      message: 'InvalidSpec: spec.ttl: bad',
    });
  });

  it('a failed build is Degraded; a pending build is Progressing', async () => {
    const failed = status(
      plan({ observed: observed({ latestBuild: { id: 'b', number: 3, transition: 'start', status: 'failed', templateVersionId: 'v1' } }) }),
    );
    expect(await health(resource(failed))).toMatchObject({
      status: 'Degraded',
      message: expect.stringContaining('build #3 (start) failed'),
    });
    const pending = status(
      plan({
        observed: observed({ latestBuild: { id: 'b', number: 1, transition: 'start', status: 'pending', templateVersionId: 'v1' } }),
      }),
    );
    expect(await health(resource(pending))).toMatchObject({ status: 'Progressing', message: 'Provisioning: build #1 (start) is pending' });
  });

  it('changes not applied yet (Pending), a stale observedGeneration and no status are Progressing', async () => {
    const pending = status(
      plan({
        observed: undefined,
        actions: [{ kind: 'create', recreate: false, create: { owner: 'alice', name: 'alice-dev', parameters: [] } }],
      }),
    );
    expect((await health(resource(pending))).status).toBe('Progressing');
    expect(await health(resource(status(plan()), { generation: 2 }))).toEqual({
      status: 'Progressing',
      message: 'the operator has not reconciled generation 2 yet',
    });
    expect((await health(resource(undefined))).status).toBe('Progressing');
  });

  it('an update waiting for its window is Healthy; an immutable parameter change is Degraded', async () => {
    const waiting = status(
      plan({ lifecycle: { needsSlot: false, rollout: { state: 'WaitingForWindow', message: 'waiting for the maintenance window' } } }),
    );
    expect(await health(resource(waiting))).toMatchObject({ status: 'Healthy' });
    const immutable = status(
      plan({ blocked: [{ field: 'parameters[name=region]', reason: 'ImmutableParameter', message: 'parameter "region" is immutable' }] }),
    );
    expect(await health(resource(immutable))).toEqual({
      status: 'Degraded',
      message: 'ImmutableParameter: parameter "region" is immutable',
    });
  });

  it('spec.suspend is Suspended whatever the status says', async () => {
    expect((await health(resource(status(plan()), { suspend: true }))).status).toBe('Suspended');
  });
});

it("Degraded's reasons are the operator's Stalled reasons (kstatus Failed), so Argo CD and Flux agree", () => {
  const lua = readFileSync(CHECK, 'utf8');
  const table = /local needsAction = \{([^}]*)\}/.exec(lua)?.[1] ?? '';
  const reasons = [...table.matchAll(/(\w+) = true/g)].map((m) => m[1]);
  expect(reasons.length).toBeGreaterThan(0);
  expect(new Set(reasons)).toEqual(NEEDS_ACTION);
});

// .ci/run installs lua5.4; on CI a missing interpreter is a failure, not a skip.
requiredOnCi('a Lua interpreter', LUA !== undefined, 'install lua5.4 (apt-get install -y lua5.4)');
