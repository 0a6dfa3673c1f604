// spec.preset in planLifecycle(): compared by the id of the preset with that
// name in the version the next build runs against the latest build's
// template_version_preset_id; a change alone is an update to the same version
// (stop + start of a running workspace, one stop of a stopped one, behind the
// same gates), a name the version lacks blocks every update, and an absent
// spec.preset never builds.
import { describe, expect, it } from 'vitest';
import type { WorkspaceStatus } from '../../../src/api/schema.ts';
import { diff } from '../../../src/engine/diff.ts';
import type { LifecycleContext, RolloutGate } from '../../../src/engine/lifecycle.ts';
import { LifecycleReader, type LifecycleReads } from '../../../src/engine/lifecycle-context.ts';
import type { ObservedWorkspace } from '../../../src/engine/types.ts';
import { desired, observed } from './fixtures.ts';

const V1 = '77777777-7777-4777-8777-777777777777';
const V2 = '88888888-8888-4888-8888-888888888888';
const SMALL = 'aaaaaaaa-0000-4000-8000-000000000001';
const LARGE = 'aaaaaaaa-0000-4000-8000-000000000002';
const V2_LARGE = 'bbbbbbbb-0000-4000-8000-000000000002';
const OPEN: RolloutGate = { onlyWhenStopped: false, slot: true };
const V1_PRESETS = {
  versionId: V1,
  presets: [
    { id: SMALL, name: 'small' },
    { id: LARGE, name: 'large' },
  ],
};

function on(transition: string, status: string, presetId?: string, extra: Partial<ObservedWorkspace['latestBuild']> = {}) {
  return observed({
    latestBuild: { id: 'b-3', number: 3, transition, status, templateVersionId: V1, ...(presetId ? { presetId } : {}), ...extra },
  });
}

function ctx(extra: Partial<LifecycleContext> = {}): LifecycleContext {
  return { gate: OPEN, presets: V1_PRESETS, ...extra };
}

describe('a preset change alone', () => {
  it('running: a stop on the current preset first, holding a slot; the plan names the move', () => {
    const plan = diff(desired({ preset: 'large' }), on('start', 'running', SMALL), ctx());
    expect(plan.actions).toEqual([
      { kind: 'build', transition: 'stop', purpose: 'restart-stop', presetChange: { from: 'small', to: 'large' } },
    ]);
    expect(plan.lifecycle?.needsSlot).toBe(true);
    expect(plan.lifecycle?.rollout).toMatchObject({ state: 'Updating', restart: true, from: V1 });
    // A preset change is not drift: it follows the spec.
    expect(plan.drift).toEqual([]);
  });

  it('after the stop: the start on the same version carries the new preset id', () => {
    const previous: WorkspaceStatus = {
      rollout: { state: 'Updating', message: '', restart: true, attemptedFor: 'spec-1/', from: V1, afterBuild: 3, wasRunning: true },
    };
    const plan = diff(desired({ preset: 'large' }), on('stop', 'stopped', undefined, { number: 4 }), ctx({ previous }));
    expect(plan.actions).toEqual([
      { kind: 'build', transition: 'start', purpose: 'restart-start', presetId: LARGE, presetChange: { from: 'none', to: 'large' } },
    ]);
    expect(plan.actions[0]).not.toHaveProperty('versionId');
  });

  it('stopped: one stop build carries it and the workspace stays stopped', () => {
    const plan = diff(desired({ preset: 'large' }), on('stop', 'stopped', SMALL), ctx());
    expect(plan.actions).toEqual([
      { kind: 'build', transition: 'stop', purpose: 'update', presetId: LARGE, presetChange: { from: 'small', to: 'large' } },
    ]);
  });

  it('a build without a preset id (older Coder answers null) is a change', () => {
    const plan = diff(desired({ preset: 'small' }), on('stop', 'stopped'), ctx());
    expect(plan.actions).toMatchObject([{ purpose: 'update', presetId: SMALL, presetChange: { from: 'none', to: 'small' } }]);
  });

  it('ids compare without case; the same preset is no change and no build', () => {
    const plan = diff(desired({ preset: 'large' }), on('start', 'running', LARGE.toUpperCase()), ctx());
    expect(plan.actions).toEqual([]);
    expect(plan.lifecycle?.rollout?.state).toBe('UpToDate');
  });

  it.each([
    ['the window is closed', { window: { open: false, message: 'closed until 22:00' } }, 'WaitingForWindow'],
    ['onlyWhenStopped', { onlyWhenStopped: true }, 'WaitingForStop'],
    ['no slot is free', { slot: false }, 'WaitingForSlot'],
    ['the rollout halted', { halted: () => 'halted after 1 failed update(s)' }, 'Halted'],
  ] as const)('waits like a version update when %s', (_, gate, state) => {
    const plan = diff(desired({ preset: 'large', version: { policy: 'Active' } }), on('start', 'running', SMALL), {
      ...ctx(),
      gate: { ...OPEN, ...gate },
    });
    expect(plan.actions).toEqual([]);
    expect(plan.lifecycle?.rollout?.state).toBe(state);
    expect(plan.lifecycle?.needsSlot).toBe(false);
  });

  it('absent spec.preset is not managed: another preset on the build starts nothing', () => {
    const plan = diff(desired(), on('start', 'running', SMALL), ctx());
    expect(plan.actions).toEqual([]);
    expect(plan.lifecycle?.rollout).toBeUndefined();
  });

  it('presets not read for the version the build runs: nothing is decided on a guess', () => {
    const plan = diff(desired({ preset: 'large' }), on('start', 'running', SMALL), ctx({ presets: { versionId: V2, presets: [] } }));
    expect(plan.actions).toEqual([]);
  });
});

describe('with other builds', () => {
  it('a version update carries the new version’s preset id', () => {
    const plan = diff(
      desired({ preset: 'large', version: { policy: 'Pinned', id: V2 } }),
      on('stop', 'stopped', SMALL),
      ctx({ presets: { versionId: V2, presets: [{ id: V2_LARGE, name: 'large' }] } }),
    );
    expect(plan.actions).toEqual([
      {
        kind: 'build',
        transition: 'stop',
        purpose: 'update',
        versionId: V2,
        presetId: V2_LARGE,
        presetChange: { from: SMALL, to: 'large' },
      },
    ]);
  });

  it('a run-state build keeps the preset it has (a build without one loses it on v2.24.0)', () => {
    const plan = diff(desired({ preset: 'large', running: true }), on('stop', 'stopped', LARGE), ctx());
    expect(plan.actions).toEqual([{ kind: 'build', transition: 'start', purpose: 'run', presetId: LARGE }]);
  });

  it('a start that spec.running calls for carries a preset change with it', () => {
    const plan = diff(desired({ preset: 'large', running: true }), on('stop', 'stopped', SMALL), ctx());
    expect(plan.actions).toEqual([
      { kind: 'build', transition: 'start', purpose: 'run', presetId: LARGE, presetChange: { from: 'small', to: 'large' } },
    ]);
    expect(plan.lifecycle?.needsSlot).toBe(false);
  });
});

describe('a name the version lacks', () => {
  it('PresetNotFound naming the presets there are; no build, not even the version update', () => {
    const plan = diff(
      desired({ preset: 'huge', version: { policy: 'Pinned', id: V2 } }),
      on('start', 'running', SMALL),
      ctx({ presets: { versionId: V2, presets: [{ id: V2_LARGE, name: 'large' }] } }),
    );
    expect(plan.actions).toEqual([]);
    expect(plan.blocked).toEqual([
      {
        field: 'preset',
        reason: 'PresetNotFound',
        message: `spec.preset: template version ${V2} has no preset "huge"; its presets: "large"`,
      },
    ]);
    expect(plan.lifecycle?.rollout?.state).toBe('Blocked');
  });

  it('a start spec.running calls for still runs, without a preset', () => {
    const plan = diff(desired({ preset: 'huge', running: true }), on('stop', 'stopped', SMALL), ctx());
    expect(plan.actions).toEqual([{ kind: 'build', transition: 'start', purpose: 'run' }]);
    expect(plan.blocked.map((b) => b.reason)).toEqual(['PresetNotFound']);
  });
});

describe('the presets read', () => {
  function reads(): LifecycleReads & { calls: string[] } {
    const calls: string[] = [];
    return {
      calls,
      buildParameters: async () => [],
      templateVersionParameters: async () => [],
      templateVersionByName: async () => ({ id: V2, name: 'v2' }),
      templateVersionPresets: async (id: string) => {
        calls.push(id);
        return [{ ID: LARGE.toUpperCase(), Name: 'large' }];
      },
    };
  }

  it('once per version for the reader’s life, only for a declaration with spec.preset', async () => {
    const r = reads();
    const reader = new LifecycleReader(r);
    const first = await reader.context(desired({ preset: 'large' }), on('start', 'running', LARGE), undefined, OPEN);
    expect(first.presets).toEqual({ versionId: V1, presets: [{ id: LARGE, name: 'large' }] });
    await reader.context(desired({ preset: 'large' }), on('start', 'running', LARGE), undefined, OPEN);
    const none = await reader.context(desired(), on('start', 'running', LARGE), undefined, OPEN);
    expect(none.presets).toBeUndefined();
    // The version Active names: the active one, not the build's.
    const active = await reader.context(
      desired({ preset: 'large', version: { policy: 'Active' } }),
      { ...on('start', 'running', LARGE), activeVersionId: V2 },
      undefined,
      OPEN,
    );
    expect(active.presets?.versionId).toBe(V2);
    expect(r.calls).toEqual([V1, V2]);
  });
});
