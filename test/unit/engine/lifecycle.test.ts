// planLifecycle(): run state, version updates, parameter changes and the
// rollout gate, one row per situation a reconcile can meet.
import { describe, expect, it } from 'vitest';
import type { WorkspaceStatus } from '../../../src/api/schema.ts';
import { parametersDigest } from '../../../src/engine/desired.ts';
import { diff } from '../../../src/engine/diff.ts';
import { planLifecycle, type LifecycleContext, type RolloutGate } from '../../../src/engine/lifecycle.ts';
import type { DesiredWorkspace, ObservedWorkspace } from '../../../src/engine/types.ts';
import { desired, HOUR, observed } from './fixtures.ts';

const V1 = '77777777-7777-4777-8777-777777777777';
const V2 = '88888888-8888-4888-8888-888888888888';
const OPEN: RolloutGate = { onlyWhenStopped: false, slot: true };

function build(transition: string, status: string, extra: Partial<ObservedWorkspace['latestBuild']> = {}): Partial<ObservedWorkspace> {
  return { latestBuild: { id: 'b-1', number: 3, transition, status, templateVersionId: V1, ...extra } };
}
const RUNNING = build('start', 'running');
const STOPPED = build('stop', 'stopped');

interface Row {
  name: string;
  want: Partial<DesiredWorkspace>;
  have: Partial<ObservedWorkspace>;
  ctx?: Partial<LifecycleContext>;
  /** The build, or null for none. */
  action: Record<string, unknown> | null;
  rollout?: string;
  blocked?: string;
}

const rows: Row[] = [
  { name: 'unmanaged: nothing', want: {}, have: STOPPED, action: null },
  { name: 'running: true, running', want: { running: true }, have: RUNNING, action: null },
  {
    name: 'running: true, stopped by hand: start',
    want: { running: true },
    have: STOPPED,
    action: { transition: 'start', purpose: 'run' },
  },
  {
    name: 'running: false, started by hand: stop',
    want: { running: false },
    have: RUNNING,
    action: { transition: 'stop', purpose: 'run' },
  },
  { name: 'running: false, stopped', want: { running: false }, have: STOPPED, action: null },
  { name: 'a build under way is waited for', want: { running: false }, have: build('start', 'starting'), action: null },
  { name: 'a failed build is not retried', want: { running: true }, have: build('start', 'failed'), action: null },
  { name: 'a deleted workspace is left alone', want: { running: true }, have: build('delete', 'deleted'), action: null },
  {
    name: 'running: true but dormant in Coder: blocked, not started',
    want: { running: true },
    have: { ...STOPPED, dormant: true },
    action: null,
    blocked: 'ScheduleConflict',
  },
  {
    name: 'autostop stopped it: started again once',
    want: { running: true, ttlMs: 0 },
    have: build('stop', 'stopped', { reason: 'autostop' }),
    action: { transition: 'start', purpose: 'run' },
  },
  {
    name: 'autostop stopped it again under the same spec: left stopped, reported',
    want: { running: true, ttlMs: 0 },
    have: build('stop', 'stopped', { reason: 'autostop' }),
    ctx: { previous: { scheduleConflict: { message: 'x', restoredFor: 'spec-1' } } },
    action: null,
    blocked: 'ScheduleConflict',
  },
  {
    name: 'a stop by a person is always set back, even after a restored schedule stop',
    want: { running: true, ttlMs: 0 },
    have: build('stop', 'stopped', { reason: 'initiator' }),
    ctx: { previous: { scheduleConflict: { message: 'x', restoredFor: 'spec-1' } } },
    action: { transition: 'start', purpose: 'run' },
  },
  {
    name: 'autostart started it under a changed spec: stopped again',
    want: { running: false, specDigest: 'spec-2' },
    have: build('start', 'running', { reason: 'autostart' }),
    ctx: { previous: { scheduleConflict: { message: 'x', restoredFor: 'spec-1' } } },
    action: { transition: 'stop', purpose: 'run' },
  },

  // Versions.
  {
    name: 'Active, on the active version',
    want: { version: { policy: 'Active' } },
    have: { ...RUNNING, activeVersionId: V1 },
    action: null,
    rollout: 'UpToDate',
  },
  {
    name: 'Active, stopped and outdated: one stop build onto the new version',
    want: { version: { policy: 'Active' } },
    have: { ...STOPPED, activeVersionId: V2 },
    action: { transition: 'stop', purpose: 'update', versionId: V2 },
    rollout: 'Updating',
  },
  {
    name: 'Pinned id, running: stop first (on the current version)',
    want: { version: { policy: 'Pinned', id: V2 } },
    have: RUNNING,
    action: { transition: 'stop', purpose: 'restart-stop' },
    rollout: 'Updating',
  },
  {
    name: 'after the update stop: start on the new version',
    want: { version: { policy: 'Pinned', id: V2 } },
    have: STOPPED,
    ctx: { previous: { rollout: { state: 'Updating', message: '', target: V2, restart: true } } },
    action: { transition: 'start', purpose: 'restart-start', versionId: V2 },
    rollout: 'Updating',
  },
  {
    name: 'after the update stop, running: false: stays stopped, moved by a stop build',
    want: { version: { policy: 'Pinned', id: V2 }, running: false },
    have: STOPPED,
    ctx: { previous: { rollout: { state: 'Updating', message: '', target: V2, restart: true } } },
    action: { transition: 'stop', purpose: 'update', versionId: V2 },
  },
  {
    name: 'running: true and stopped: the start carries the new version',
    want: { version: { policy: 'Pinned', id: V2 }, running: true, ttlMs: 0 },
    have: STOPPED,
    action: { transition: 'start', purpose: 'run', versionId: V2 },
  },
  {
    name: 'running: false and running: the stop carries the new version',
    want: { version: { policy: 'Pinned', id: V2 }, running: false },
    have: RUNNING,
    action: { transition: 'stop', purpose: 'run', versionId: V2 },
  },
  {
    name: 'Pinned name resolved by the front door',
    want: { version: { policy: 'Pinned', name: 'v2' } },
    have: STOPPED,
    ctx: { wantedVersion: { id: V2, name: 'v2' } },
    action: { transition: 'stop', purpose: 'update', versionId: V2 },
  },
  {
    name: 'Pinned name unknown: blocked',
    want: { version: { policy: 'Pinned', name: 'nope' } },
    have: STOPPED,
    ctx: { wantedVersion: { error: 'no version named "nope"' } },
    action: null,
    blocked: 'VersionNotFound',
  },
  {
    name: 'the update build to the wanted version failed: Failed, not retried',
    want: { version: { policy: 'Pinned', id: V2 } },
    have: build('stop', 'failed', { templateVersionId: V2 }),
    action: null,
    rollout: 'Failed',
  },
  {
    name: 'a failed build on another version and a new wanted version: the update goes ahead',
    want: { version: { policy: 'Pinned', id: V2 } },
    have: build('stop', 'failed'),
    action: { transition: 'stop', purpose: 'update', versionId: V2 },
    rollout: 'Updating',
  },

  {
    name: 'an update whose builds succeeded but did not take: Failed, not tried again',
    want: { version: { policy: 'Pinned', id: V2 } },
    have: STOPPED,
    ctx: { previous: { rollout: { state: 'Updating', message: '', target: V2, attemptedFor: `spec-1/${V2}` } } },
    action: null,
    rollout: 'Failed',
  },
  {
    name: 'after such a failure, a newly promoted version is a new update',
    want: { version: { policy: 'Active' } },
    have: { ...STOPPED, activeVersionId: V2 },
    ctx: { previous: { rollout: { state: 'Failed', message: '', target: V1, attemptedFor: `spec-1/${V1}` } } },
    action: { transition: 'stop', purpose: 'update', versionId: V2 },
  },

  // The rollout gate (only restarting a running workspace is disruptive).
  {
    name: 'no slot: waits',
    want: { version: { policy: 'Pinned', id: V2 } },
    have: RUNNING,
    ctx: { gate: { ...OPEN, slot: false } },
    action: null,
    rollout: 'WaitingForSlot',
  },
  {
    name: 'no slot, stopped: waits too',
    want: { version: { policy: 'Pinned', id: V2 } },
    have: STOPPED,
    ctx: { gate: { ...OPEN, slot: false } },
    action: null,
    rollout: 'WaitingForSlot',
  },
  {
    name: 'window closed and no slot, running: waits for the window, not the slot',
    want: { version: { policy: 'Pinned', id: V2 } },
    have: RUNNING,
    ctx: { gate: { ...OPEN, slot: false, window: { open: false, message: 'closed' } } },
    action: null,
    rollout: 'WaitingForWindow',
  },
  {
    name: 'only when stopped and no slot, running: waits for the stop',
    want: { version: { policy: 'Pinned', id: V2 } },
    have: RUNNING,
    ctx: { gate: { ...OPEN, slot: false, onlyWhenStopped: true } },
    action: null,
    rollout: 'WaitingForStop',
  },
  {
    name: 'only when stopped, running: waits',
    want: { version: { policy: 'Pinned', id: V2 } },
    have: RUNNING,
    ctx: { gate: { ...OPEN, onlyWhenStopped: true } },
    action: null,
    rollout: 'WaitingForStop',
  },
  {
    name: 'only when stopped, stopped: updated',
    want: { version: { policy: 'Pinned', id: V2 } },
    have: STOPPED,
    ctx: { gate: { ...OPEN, onlyWhenStopped: true } },
    action: { transition: 'stop', purpose: 'update', versionId: V2 },
  },
  {
    name: 'window closed, running: waits',
    want: { version: { policy: 'Pinned', id: V2 } },
    have: RUNNING,
    ctx: { gate: { ...OPEN, window: { open: false, message: 'closed' } } },
    action: null,
    rollout: 'WaitingForWindow',
  },
  {
    name: 'window closed, stopped: updated (nothing is disrupted)',
    want: { version: { policy: 'Pinned', id: V2 } },
    have: STOPPED,
    ctx: { gate: { ...OPEN, window: { open: false, message: 'closed' } } },
    action: { transition: 'stop', purpose: 'update', versionId: V2 },
  },
  {
    name: 'window open, running: restart',
    want: { version: { policy: 'Pinned', id: V2 } },
    have: RUNNING,
    ctx: { gate: { ...OPEN, window: { open: true, message: 'open' } } },
    action: { transition: 'stop', purpose: 'restart-stop' },
  },

  // Parameters.
  {
    name: 'a changed parameter, running: restart',
    want: { parametersManaged: true, parameters: [{ name: 'size', value: 'large' }] },
    have: RUNNING,
    ctx: { currentParameters: [{ name: 'size', value: 'small' }], parameterInfo: new Map([['size', { mutable: true, ephemeral: false }]]) },
    action: { transition: 'stop', purpose: 'restart-stop' },
    rollout: 'Updating',
  },
  {
    name: 'a changed parameter, stopped: one stop build with the value',
    want: { parametersManaged: true, parameters: [{ name: 'size', value: 'large' }] },
    have: STOPPED,
    ctx: { currentParameters: [{ name: 'size', value: 'small' }] },
    action: { transition: 'stop', purpose: 'update', parameters: [{ name: 'size', value: 'large' }] },
  },
  {
    name: 'an immutable parameter changed: blocked with its own reason',
    want: { parametersManaged: true, parameters: [{ name: 'region', value: 'us' }] },
    have: STOPPED,
    ctx: {
      currentParameters: [{ name: 'region', value: 'eu' }],
      parameterInfo: new Map([['region', { mutable: false, ephemeral: false }]]),
    },
    action: null,
    blocked: 'ImmutableParameter',
  },
  {
    name: 'an ephemeral parameter is never compared',
    want: { parametersManaged: true, parameters: [{ name: 'debug', value: 'true' }] },
    have: STOPPED,
    ctx: {
      currentParameters: [{ name: 'debug', value: 'false' }],
      parameterInfo: new Map([['debug', { mutable: true, ephemeral: true }]]),
    },
    action: null,
    rollout: 'UpToDate',
  },
  {
    name: 'a parameter the template does not define is never compared (Coder drops it)',
    want: { parametersManaged: true, parameters: [{ name: 'cpu', value: '2' }] },
    have: STOPPED,
    ctx: { currentParameters: [], parameterInfo: new Map([['size', { mutable: true, ephemeral: false }]]) },
    action: null,
    rollout: 'UpToDate',
  },
  {
    name: 'parameters not read (known to match): nothing',
    want: { parametersManaged: true, parameters: [{ name: 'size', value: 'large' }] },
    have: STOPPED,
    action: null,
    rollout: 'UpToDate',
  },
];

describe('planLifecycle', () => {
  it.each(rows)('$name', (row) => {
    const d = desired({ specDigest: 'spec-1', ...row.want });
    const o = observed({ activeVersionId: V1, outdated: false, ...row.have });
    const ctx: LifecycleContext = { gate: OPEN, ...row.ctx };
    const plan = planLifecycle(d, o, ctx);
    if (row.action === null) expect(plan.action).toBeUndefined();
    else expect(plan.action).toEqual({ kind: 'build', ...row.action });
    if (row.rollout) expect(plan.outcome.rollout?.state).toBe(row.rollout);
    if (row.blocked) expect(plan.blocked.map((b) => b.reason)).toContain(row.blocked);
    else expect(plan.blocked).toEqual([]);
  });

  it('remembers a restored schedule build under the spec digest', () => {
    const plan = planLifecycle(
      desired({ specDigest: 'spec-9', running: true, ttlMs: 0 }),
      observed(build('stop', 'stopped', { reason: 'autostop' })),
      { gate: OPEN },
    );
    expect(plan.outcome.conflict?.restoredFor).toBe('spec-9');
  });

  it('reports a TTL from outside the spec as a conflict, without blocking', () => {
    const plan = planLifecycle(desired({ running: true }), observed({ ...RUNNING, ttlMs: 8 * HOUR }), { gate: OPEN });
    expect(plan.action).toBeUndefined();
    expect(plan.blocked).toEqual([]);
    expect(plan.outcome.conflict?.message).toMatch(/auto-stop TTL of 8h/);
  });

  it('records the checked parameters so the next pass need not read them', () => {
    const params = [{ name: 'size', value: 'large' }];
    const plan = planLifecycle(desired({ parametersManaged: true, parameters: params }), observed(STOPPED), {
      gate: OPEN,
      currentParameters: params,
    });
    expect(plan.outcome.parametersChecked).toEqual({ build: 'b-1', spec: parametersDigest(params) });
    const previous: WorkspaceStatus = { parametersChecked: plan.outcome.parametersChecked! };
    const again = planLifecycle(desired({ parametersManaged: true, parameters: params }), observed(STOPPED), { gate: OPEN, previous });
    expect(again.outcome.parametersChecked).toEqual(plan.outcome.parametersChecked);
  });
});

describe('diff with the lifecycle', () => {
  it('puts the build after the settings it depends on', () => {
    const plan = diff(desired({ running: true, ttlMs: 0, dormant: false }), observed({ ...STOPPED, ttlMs: 8 * HOUR, dormant: true }));
    expect(plan.actions.map((a) => a.kind)).toEqual(['dormant', 'ttl', 'build']);
    expect(plan.drift).toEqual(['dormant', 'ttl', 'running']);
  });

  it('an update build is not drift', () => {
    const plan = diff(desired({ version: { policy: 'Pinned', id: V2 } }), observed(STOPPED));
    expect(plan.actions).toHaveLength(1);
    expect(plan.drift).toEqual([]);
  });
});
