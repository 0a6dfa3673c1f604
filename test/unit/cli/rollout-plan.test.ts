// What plan says about a rollout: version changes by name (`v1 → v2`),
// updates that wait are pending changes (exit 2) with their reason, and an
// observe-only workspace's differences are drift nothing writes (no exit 2).
// Plans come from the real engine (diff() with a rollout gate).
import { describe, expect, it, vi } from 'vitest';
import { countPlan, hasChanges, planJson, renderOutcome, renderPlanText } from '../../../src/cli/render.ts';
import { renderPlanMarkdown } from '../../../src/cli/markdown.ts';
import { rolloutLines, rolloutSummary } from '../../../src/cli/rollout-render.ts';
import { diff } from '../../../src/engine/diff.ts';
import type { RolloutGate } from '../../../src/engine/lifecycle.ts';
import { windowState } from '../../../src/engine/rollout-window.ts';
import type { WorkspacePlan } from '../../../src/engine/types.ts';
import { VersionNames } from '../../../src/engine/version-names.ts';
import type { PlanReport } from '../../../src/gitops/run.ts';
import { HOUR, desired, observed } from '../engine/fixtures.ts';

const V1 = '77777777-7777-4777-8777-777777777777';
const V2 = '88888888-8888-4888-8888-888888888888';
const NOW = new Date('2026-11-14T12:00:00Z');
const WINDOW = { schedule: '0 22 * * 1-5', duration: '2h' };

/** A running workspace on v1 whose template's active version is now v2. */
function promoted(i: number, gate: Partial<RolloutGate> = {}): WorkspacePlan {
  const key = `team-a/ws-${i}`;
  return diff(
    desired({ key, name: `ws-${i}`, version: { policy: 'Active' } }),
    observed({
      id: `11111111-1111-4111-8111-${String(i).padStart(12, '0')}`,
      name: `ws-${i}`,
      activeVersionId: V2,
      outdated: true,
      latestBuild: { ...observed().latestBuild, templateVersionName: 'v1' },
    }),
    { gate: { onlyWhenStopped: false, slot: true, ...gate } },
  );
}

function namesApi(names: Record<string, string>) {
  return {
    templateVersion: vi.fn(async (id: string) => {
      const name = names[id];
      if (!name) throw new Error(`404 ${id}`);
      return { id, name } as never;
    }),
  };
}

async function report(plans: WorkspacePlan[], api = namesApi({ [V2]: 'v2' }), window = false): Promise<PlanReport> {
  const versions = new VersionNames(api);
  await versions.resolve(plans);
  return {
    plans,
    prunes: [],
    statuses: new Map(),
    adoptions: new Set(),
    versions,
    ...(window ? { window: { spec: WINDOW, state: windowState(WINDOW, NOW) } } : {}),
  };
}

describe('updates waiting for the window', () => {
  it('600 waiting workspaces are 600 pending changes, not 600 in sync', async () => {
    const window = windowState(WINDOW, NOW);
    const api = namesApi({ [V2]: 'v2' });
    const r = await report(
      Array.from({ length: 600 }, (_, i) => promoted(i, { window })),
      api,
      true,
    );
    expect(countPlan(r)).toMatchObject({ change: 0, pending: 600, inSync: 0 });
    expect(hasChanges(r)).toBe(true); // plan exits 2
    const text = renderPlanText(r);
    expect(text).not.toContain('No changes');
    expect(text).toContain('0 blocked, 600 pending; 0 in sync.');
    expect(text).toContain(
      '~ pending team-a/ws-0 (template version v1 → v2; window): waiting for the maintenance window "0 22 * * 1-5" (UTC, 2h); ' +
        'it next opens at 2026-11-16T22:00:00.000Z',
    );
    expect(text).toContain('Window "0 22 * * 1-5" (UTC, 2h): closed; it next opens at 2026-11-16T22:00:00.000Z.');
    // The promoted version's name is read once for all 600; v1's came with the workspaces.
    expect(api.templateVersion.mock.calls).toEqual([[V2]]);
    const json = planJson(r) as { counts: { pending: number }; workspaces: { pending: unknown; version: unknown }[] };
    expect(json.counts.pending).toBe(600);
    expect(json.workspaces[0]).toMatchObject({
      pending: { reason: 'window', opensAt: '2026-11-16T22:00:00.000Z' },
      version: { from: { id: V1, name: 'v1' }, to: { id: V2, name: 'v2' } },
    });
    const md = renderPlanMarkdown(r);
    expect(md).toContain('**Plan: 0 to create, 0 to adopt, 0 to change, 0 to delete, 0 to orphan, 0 blocked, 600 pending; 0 in sync.**');
    expect(md).toContain('- `team-a/ws-0` (template version v1 → v2; window): waiting for the maintenance window');
    expect(md).not.toContain('in sync</summary>');
  });

  it('an open window plans the restart with both version names', async () => {
    const r = await report([promoted(1, { window: windowState(WINDOW, new Date('2026-11-16T22:30:00Z')) })]);
    expect(countPlan(r)).toMatchObject({ change: 1, pending: 0 });
    expect(renderPlanText(r)).toContain('~ stop team-a/ws-1 (update to template version v1 → v2: stop first, then start on v2)');
  });

  it('with no window and a free slot nothing is pending: the stop is the change', async () => {
    const r = await report([promoted(1)]);
    expect(countPlan(r)).toMatchObject({ change: 1, pending: 0, inSync: 0 });
  });
});

describe('every reason an update waits is pending', () => {
  it.each([
    ['WaitingForWindow', 'window', '1 waiting for the window'],
    ['WaitingForSlot', 'slot', '1 waiting for a slot'],
    ['WaitingForStop', 'stop', '1 waiting for a stop'],
    // States the rollout engine adds for onlyWhenIdle, canary steps and halting (issue 19 items 2-4).
    ['WaitingForIdle', 'idle', '1 waiting for idleness'],
    ['WaitingForStep', 'step', '1 waiting for the previous step'],
    ['Halted', 'halted', '1 halted'],
  ])('%s', async (state, reason, summary) => {
    const plan = promoted(1, { onlyWhenStopped: true });
    plan.lifecycle!.rollout = { state: state as 'WaitingForStop', message: `because ${state}`, target: V2 };
    const r = await report([plan]);
    expect(countPlan(r)).toMatchObject({ pending: 1, inSync: 0 });
    expect(hasChanges(r)).toBe(true);
    expect(rolloutLines(plan, r.versions)).toEqual([`~ pending team-a/ws-1 (template version v1 → v2; ${reason}): because ${state}`]);
    expect(rolloutSummary([plan], 'plan')).toContain(summary);
  });

  it('a failed update is not pending, and up-to-date is in sync', async () => {
    const failed = promoted(1);
    failed.actions = [];
    failed.lifecycle!.rollout = { state: 'Failed', message: 'build #3 failed' };
    const upToDate = diff(desired({ version: { policy: 'Active' } }), observed());
    const r = await report([failed, upToDate]);
    expect(countPlan(r)).toMatchObject({ pending: 0, inSync: 2 });
    expect(renderPlanText(r)).toContain('! failed team-a/ws-1: build #3 failed');
  });
});

describe('observe only', () => {
  const observeOnly = () =>
    diff(desired({ observeOnly: true, ttlMs: 2 * HOUR, running: false }), observed({ ttlMs: HOUR }), {
      gate: { onlyWhenStopped: false, slot: true },
    });

  it('shows drift that will not be written, and it is no change (exit 0)', async () => {
    const r = await report([observeOnly()]);
    expect(countPlan(r)).toMatchObject({ change: 0, observedDrift: 1, inSync: 0 });
    expect(hasChanges(r)).toBe(false);
    const text = renderPlanText(r);
    expect(text).toContain('≠ drift ttl team-a/alice-dev: 1h -> 2h (observe only: not written)');
    expect(text).toContain('≠ drift stop team-a/alice-dev (running: false) (observe only: not written)');
    expect(text).toContain('0 to change, 0 to delete, 0 to orphan, 0 blocked, 0 pending; 0 in sync; 1 observe-only drifted (not written).');
    expect(text).not.toMatch(/^~ /m);
    const json = planJson(r) as { workspaces: { actions: unknown[]; notWritten: { kind: string }[] }[] };
    expect(json.workspaces[0]!.actions).toEqual([]);
    expect(json.workspaces[0]!.notWritten.map((a) => a.kind)).toEqual(['ttl', 'build']);
    const md = renderPlanMarkdown(r);
    expect(md).toContain('#### 👁️ Drift not written (managementPolicies: [Observe])');
    expect(md).toContain('No changes to apply (the observe-only drift below is not written).');
    expect(md).not.toContain('✏️ change');
  });

  it('next to a real change still exits 2', async () => {
    const r = await report([observeOnly(), promoted(2)]);
    expect(countPlan(r)).toMatchObject({ change: 1, observedDrift: 1 });
    expect(hasChanges(r)).toBe(true);
  });
});

describe('version names', () => {
  it('are read once per distinct id across runs of the same VersionNames, and a failed read prints the id', async () => {
    const V3 = '99999999-9999-4999-8999-999999999999';
    const api = namesApi({ [V2]: 'v2' });
    const versions = new VersionNames(api);
    const toV3 = diff(desired({ key: 'team-a/x', version: { policy: 'Active' } }), observed({ activeVersionId: V3 }));
    const plans = [promoted(1), promoted(2), toV3];
    await versions.resolve(plans);
    await versions.resolve(plans);
    // v1's name came with the other workspaces' builds; V3's read fails, once, and is not retried.
    expect(api.templateVersion.mock.calls.map(([id]) => id).sort()).toEqual([V2, V3].sort());
    expect(versions.label(V3)).toBe(V3);
    expect(versions.change('team-a/x')).toEqual({ from: { id: V1, name: 'v1' }, to: { id: V3 } });
  });

  it("name apply's lines, the restart's stop and start alike", async () => {
    const r = await report([promoted(1)]);
    const stop = r.plans[0]!.actions[0]!;
    expect(renderOutcome('team-a/ws-1', { action: stop, ok: true }, r.versions)).toBe(
      '✓ stop team-a/ws-1 (update to template version v1 → v2: stop first, then start on v2)',
    );
    const start = { kind: 'build' as const, transition: 'start' as const, purpose: 'restart-start' as const, versionId: V2 };
    expect(renderOutcome('team-a/ws-1', { action: start, ok: true }, r.versions)).toBe(
      '✓ start team-a/ws-1 (update: start again, template version v1 → v2)',
    );
  });
});
