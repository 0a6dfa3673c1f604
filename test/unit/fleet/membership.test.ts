import { describe, expect, it } from 'vitest';
import type { WorkspaceSpec } from '../../../src/api/schema.ts';
import { decideMembership, type ExistingChild } from '../../../src/fleet/membership.ts';
import { type Member, stampChild } from '../../../src/fleet/stamp.ts';
import { workspaceSet } from './fixtures.ts';

type ConnectionRef = NonNullable<WorkspaceSpec['connectionRef']>;

const set = workspaceSet();
const members = (...names: string[]): Member[] => names.map((username) => ({ username }));
/** The children a set has after stamping these members. */
const childrenOf = (...names: string[]): ExistingChild[] =>
  names.map((username) => {
    const c = stampChild(set, { username });
    return { name: c.name, member: c.member, labels: c.labels, annotations: c.annotations, spec: c.spec };
  });

describe('decideMembership', () => {
  it('creates a child per new member and leaves matching children alone', () => {
    const d = decideMembership({ set, children: childrenOf('alice'), members: members('alice', 'bob') });
    expect(d.create.map((c) => c.name)).toEqual(['devs-bob']);
    expect(d.unchanged.map((c) => c.name)).toEqual(['devs-alice']);
    expect(d).toMatchObject({ update: [], remove: [], retained: [], members: 2 });
    expect(d.held).toBeUndefined();
  });

  it('updates a child whose stamped form changed, except under createOnly', () => {
    const [alice] = childrenOf('alice');
    const stale = { ...alice!, spec: { ...alice!.spec, ttl: '1h' } };
    expect(decideMembership({ set, children: [stale], members: members('alice') }).update).toHaveLength(1);
    const only = decideMembership({ set, children: [stale], members: members('alice'), syncPolicy: 'createOnly' });
    expect(only.update).toEqual([]);
    expect(only.unchanged).toEqual([stale]);
  });

  it('a defaulted field the apiserver filled in is no change', () => {
    const withRef = workspaceSet({ template: { spec: { template: 'go-dev', connectionRef: { name: 'coder' } as ConnectionRef } } });
    const c = stampChild(withRef, { username: 'alice' });
    const child: ExistingChild = {
      name: c.name,
      member: 'alice',
      labels: { ...c.labels, extra: 'x' },
      spec: { ...c.spec, connectionRef: { kind: 'CoderConnection', name: 'coder' } },
    };
    expect(decideMembership({ set: withRef, children: [child], members: members('alice') }).update).toEqual([]);
  });

  it('removes a leaving member only under createDelete; otherwise retains it', () => {
    const children = childrenOf('alice', 'bob');
    const update = decideMembership({ set, children, members: members('alice') });
    expect(update.remove).toEqual([]);
    expect(update.retained.map((c) => c.name)).toEqual(['devs-bob']);
    const del = decideMembership({ set, children, members: members('alice'), syncPolicy: 'createDelete' });
    expect(del.remove.map((c) => c.name)).toEqual(['devs-bob']);
  });

  it('never removes a child without a member label', () => {
    const [alice] = childrenOf('alice');
    const unlabelled = { ...alice!, name: 'stray', member: undefined };
    const d = decideMembership({ set, children: [unlabelled], members: members('bob'), syncPolicy: 'createDelete' });
    expect(d.remove).toEqual([]);
    expect(d.unchanged).toEqual([unlabelled]);
  });

  it('a failed generator changes nothing', () => {
    const children = childrenOf('alice', 'bob');
    const d = decideMembership({
      set,
      children,
      members: { ok: false, reason: 'GroupsUnavailable', message: 'no groups' },
      syncPolicy: 'createDelete',
    });
    expect(d).toMatchObject({ create: [], update: [], remove: [], unchanged: children });
    expect(d.held).toMatchObject({ reason: 'GeneratorFailed', generatorReason: 'GroupsUnavailable' });
    expect(d.held!.message).toContain('WorkspaceSet team-a/devs: no groups');
  });

  it('holds more removals than maxRemovals until this removal is acknowledged', () => {
    const children = childrenOf('a', 'b', 'c', 'd');
    const input = { set, children, members: members('a'), syncPolicy: 'createDelete' as const, maxRemovals: 2 };
    const held = decideMembership(input);
    expect(held.held).toMatchObject({ reason: 'TooManyRemovals' });
    expect(held.remove).toEqual([]);
    expect(held.held!.message).toContain('3 children would be removed, more than maxRemovals 2');
    expect(decideMembership({ ...input, acknowledged: 'remove-000000000000' }).held?.reason).toBe('TooManyRemovals');
    const acked = decideMembership({ ...input, acknowledged: held.held!.acknowledgeWith! });
    expect(acked.held).toBeUndefined();
    expect(acked.remove).toHaveLength(3);
    // The same value does not let a different removal through.
    expect(decideMembership({ ...input, members: members('b'), acknowledged: held.held!.acknowledgeWith! }).held).toBeDefined();
    expect(decideMembership({ ...input, maxRemovals: 3 }).held).toBeUndefined();
  });

  it('holds an empty membership after members, whatever the policy', () => {
    for (const syncPolicy of ['createOnly', 'createUpdate', 'createDelete'] as const) {
      const d = decideMembership({ set, children: childrenOf('a'), members: [], syncPolicy, maxRemovals: 100 });
      expect(d.held?.reason, syncPolicy).toBe('MembershipEmpty');
      expect(d.remove).toEqual([]);
    }
    expect(decideMembership({ set, children: [], members: [], previousMembers: 3 }).held?.reason).toBe('MembershipEmpty');
    expect(decideMembership({ set, children: [], members: [] }).held).toBeUndefined();
  });

  it('holds two children of one member, and two members on one child name', () => {
    const [a] = childrenOf('alice');
    const twice = decideMembership({ set, children: [a!, { ...a!, name: 'devs-alice-2' }], members: members('alice') });
    expect(twice.held).toMatchObject({ reason: 'DuplicateChild' });
    expect(twice.held!.message).toContain('devs-alice and devs-alice-2');
    const sameName = workspaceSet({ template: { metadata: { name: 'fixed' }, spec: { template: 'go-dev' } } });
    expect(decideMembership({ set: sameName, children: [], members: members('a', 'b') }).held).toMatchObject({
      reason: 'DuplicateChild',
    });
  });

  it('never takes a name another document holds, naming both', () => {
    const d = decideMembership({
      set,
      describe: 'WorkspaceSet team-a/devs (sets.yaml)',
      children: [],
      members: members('alice'),
      foreign: new Map([['devs-alice', 'Workspace team-a/devs-alice (alice.yaml)']]),
    });
    expect(d.held).toMatchObject({ reason: 'NameCollision' });
    expect(d.held!.message).toContain('WorkspaceSet team-a/devs (sets.yaml)');
    expect(d.held!.message).toContain('Workspace team-a/devs-alice (alice.yaml)');
    expect(d.create).toEqual([]);
  });

  it('keeps an existing child under its name when the template renames children', () => {
    const renamed = workspaceSet({ template: { metadata: { name: 'ws-{{username}}' }, spec: { template: 'go-dev', ttl: '8h' } } });
    const d = decideMembership({ set: renamed, children: childrenOf('alice'), members: members('alice') });
    expect(d.create).toEqual([]);
    expect(d.update.map((u) => u.desired.name)).toEqual(['devs-alice']);
  });
});
