import { describe, expect, it } from 'vitest';
import type { WorkspaceStatus } from '../../../src/api/schema.ts';
import { gateStatus, mergePatch, sameJson, statusChanged, suspendedStatus } from '../../../src/controller/status-patch.ts';
import { overridden } from '../../support/overrides.ts';

const cond = (type: string, status: 'True' | 'False', reason: string) => ({
  type,
  status,
  reason,
  message: reason,
  lastTransitionTime: '2026-11-01T00:00:00.000Z',
  observedGeneration: 1,
});
const settled: WorkspaceStatus = {
  observedGeneration: 1,
  id: 'w1',
  ttl: '1h',
  lastSyncTime: '2026-11-01T00:00:00.000Z',
  conditions: [cond('Ready', 'True', 'Ready'), cond('Synced', 'True', 'UpToDate')],
};

describe('statusChanged', () => {
  it.each<[string, WorkspaceStatus | undefined, WorkspaceStatus, boolean]>([
    ['identical', settled, { ...settled }, false],
    ['only lastSyncTime moved', settled, { ...settled, lastSyncTime: '2026-11-02T00:00:00.000Z' }, false],
    [
      'key order differs',
      settled,
      { conditions: settled.conditions!, ttl: '1h', id: 'w1', observedGeneration: 1, lastSyncTime: 'x' },
      false,
    ],
    ['a field changed', settled, { ...settled, ttl: '2h' }, true],
    ['a field appeared', settled, { ...settled, dormant: true }, true],
    ['a field disappeared', settled, overridden(settled, { id: undefined }), true],
    [
      'a condition flipped',
      settled,
      { ...settled, conditions: [cond('Ready', 'False', 'Provisioning'), cond('Synced', 'True', 'UpToDate')] },
      true,
    ],
    ['observedGeneration moved', settled, { ...settled, observedGeneration: 2 }, true],
    ['no previous status', undefined, settled, true],
  ])('%s', (_name, previous, next, changed) => {
    expect(statusChanged(previous, JSON.parse(JSON.stringify(next)))).toBe(changed);
  });
});

describe('sameJson', () => {
  // The oracle: what comparing key-sorted JSON (the former implementation) says.
  const sorted = (v: unknown): string | undefined =>
    JSON.stringify(v, (_k, x: unknown) =>
      x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x,
    );
  it.each<[string, unknown, unknown, boolean]>([
    ['same primitives', 'a', 'a', true],
    ['different primitives', 1, '1', false],
    ['null and undefined', null, undefined, false],
    ['null and an object', null, {}, false],
    ['key order', { a: 1, b: { c: [1, 2], d: 'x' } }, { b: { d: 'x', c: [1, 2] }, a: 1 }, true],
    ['an undefined key equals an absent one', { a: 1, b: undefined }, { a: 1 }, true],
    ['an absent key against a null one', { a: 1 }, { a: 1, b: null }, false],
    ['an extra key', { a: 1 }, { a: 1, b: 2 }, false],
    ['a deep difference', { a: { b: { c: 1 } } }, { a: { b: { c: 2 } } }, false],
    ['array order counts', [1, 2], [2, 1], false],
    ['array length', [1], [1, 1], false],
    ['array and object', [], {}, false],
    ['undefined array element is null', [undefined], [null], true],
    ['a Date against its JSON string form, inside an object', { t: new Date(0) }, { t: new Date(0) }, true],
    ['different Dates', { t: new Date(0) }, { t: new Date(1) }, false],
    ['conditions from the apiserver vs computed', settled, JSON.parse(JSON.stringify({ ...settled })), true],
  ])('%s', (_name, a, b, same) => {
    expect(sameJson(a, b)).toBe(same);
    expect(sameJson(b, a)).toBe(same);
    expect(sorted(a) === sorted(b)).toBe(same);
  });
});

describe('mergePatch', () => {
  it('sends only what changed, and null for what disappeared', () => {
    expect(mergePatch({ a: 1, b: { c: 1, d: 2 }, gone: 'x' }, { a: 1, b: { c: 1, d: 3 }, e: [1] })).toEqual({
      b: { d: 3 },
      gone: null,
      e: [1],
    });
  });
  it('replaces arrays wholesale', () => {
    expect(mergePatch({ list: [1, 2] }, { list: [1] })).toEqual({ list: [1] });
  });
});

describe('gateStatus', () => {
  const now = new Date('2026-11-03T00:00:00.000Z');
  it('sets both conditions False with the reason, and observedGeneration', () => {
    const s = gateStatus(settled, 2, now, { status: 'False', reason: 'Forbidden', message: 'no rule' });
    expect(s.observedGeneration).toBe(2);
    expect(s.conditions?.map((c) => [c.type, c.status, c.reason, c.observedGeneration])).toEqual([
      ['Ready', 'False', 'Forbidden', 2],
      // A rule a person must add: kstatus (Flux) reads Stalled=True as Failed.
      ['Stalled', 'True', 'Forbidden', 2],
      ['Synced', 'False', 'Forbidden', 2],
    ]);
    expect(s.id).toBe('w1');
  });
  it("'keep' leaves Ready as it was (suspend)", () => {
    const s = gateStatus(settled, 1, now, { status: 'False', reason: 'Suspended', message: 'paused' }, 'keep');
    expect(s.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(s.conditions?.find((c) => c.type === 'Synced')?.reason).toBe('Suspended');
  });
  it('is stable: the same gate twice is no change', () => {
    const once = gateStatus(settled, 1, now, { status: 'False', reason: 'InvalidSpec', message: 'spec.ttl: bad' });
    const twice = gateStatus(once, 1, new Date('2026-11-04T00:00:00.000Z'), {
      status: 'False',
      reason: 'InvalidSpec',
      message: 'spec.ttl: bad',
    });
    expect(statusChanged(once, twice)).toBe(false);
  });
});

describe('gateStatus: Reconciling and Stalled for kstatus', () => {
  const now = new Date('2026-11-03T00:00:00.000Z');
  const types = (s: WorkspaceStatus) => s.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`);
  it('InvalidSpec stalls (Failed); a connection that is not ready is retried (Reconciling, InProgress)', () => {
    expect(types(gateStatus(settled, 1, now, { status: 'False', reason: 'InvalidSpec', message: 'spec.ttl: bad' }))).toEqual([
      'Ready=False/InvalidSpec',
      'Stalled=True/InvalidSpec',
      'Synced=False/InvalidSpec',
    ]);
    expect(types(gateStatus(settled, 1, now, { status: 'False', reason: 'ConnectionNotReady', message: 'Coder unreachable' }))).toEqual([
      'Ready=False/ConnectionNotReady',
      'Reconciling=True/ConnectionNotReady',
      'Synced=False/ConnectionNotReady',
    ]);
  });
  it('a fixed spec drops Stalled again', () => {
    const invalid = gateStatus(settled, 1, now, { status: 'False', reason: 'InvalidSpec', message: 'spec.ttl: bad' });
    const forbidden = gateStatus(invalid, 2, now, { status: 'False', reason: 'ConnectionNotReady', message: 'Coder unreachable' });
    expect(forbidden.conditions?.some((c) => c.type === 'Stalled')).toBe(false);
  });
});

describe('suspendedStatus', () => {
  const now = new Date('2026-11-03T00:00:00.000Z');
  const types = (s: WorkspaceStatus) => s.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`);
  it('keeps a Ready=True, follows the generation, and says Suspended', () => {
    const s = suspendedStatus(settled, 2, now);
    expect(s.observedGeneration).toBe(2);
    expect(types(s)).toEqual(['Ready=True/Ready', 'Suspended=True/Suspended', 'Synced=False/Suspended']);
  });
  it('never reconciled: no Ready at all (kstatus would read Ready=False as InProgress until resumed)', () => {
    expect(types(suspendedStatus(undefined, 1, now))).toEqual(['Suspended=True/Suspended', 'Synced=False/Suspended']);
  });
  it('after a failed build or mid-build: Ready, Stalled and Reconciling go while suspended', () => {
    const failed = gateStatus(
      { ...settled, conditions: [cond('Ready', 'False', 'BuildFailed'), cond('Synced', 'True', 'Created')] },
      1,
      now,
      { status: 'True', reason: 'Created', message: 'x' },
      'keep',
    );
    expect(types(failed)).toContain('Stalled=True/BuildFailed');
    expect(types(suspendedStatus(failed, 2, now))).toEqual(['Suspended=True/Suspended', 'Synced=False/Suspended']);
    const building = {
      ...settled,
      conditions: [cond('Ready', 'False', 'Provisioning'), cond('Reconciling', 'True', 'Provisioning'), cond('Synced', 'True', 'Created')],
    };
    expect(types(suspendedStatus(building, 2, now))).toEqual(['Suspended=True/Suspended', 'Synced=False/Suspended']);
  });
  it('is stable: a second suspended pass changes nothing', () => {
    const once = suspendedStatus(undefined, 1, now);
    expect(statusChanged(once, suspendedStatus(once, 1, new Date('2026-11-04T00:00:00.000Z')))).toBe(false);
  });
});
