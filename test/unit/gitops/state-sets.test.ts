// The state file's WorkspaceSet records (additive to version 2): each child
// entry's set and member, and per set the members of its last pass.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readState, StateError, writeState, type StateFile } from '../../../src/gitops/state.ts';

const URL = 'https://coder.example.com';
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cwo-state-sets-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const child = {
  key: 'team-a/devs-alice',
  id: 'id-1',
  owner: 'alice',
  ownerId: 'owner-1',
  name: 'devs-alice',
  organizationId: 'org-1',
  origin: 'created' as const,
  deletionPolicy: 'Orphan' as const,
  management: 'Full' as const,
  source: '/repo/sets.yaml',
  lastAppliedAt: '2026-01-02T03:04:05.000Z',
  set: 'team-a/devs',
  member: 'alice',
};

describe('state file: WorkspaceSet records', () => {
  it('round-trips set, member and the members per set', async () => {
    const path = join(dir, 'state.json');
    const state: StateFile = { version: 2, coderUrl: URL, entries: { [child.key]: child }, sets: { 'team-a/devs': { members: 3 } } };
    await writeState(path, state);
    expect(await readState(path, URL)).toEqual(state);
    const text = await readFile(path, 'utf8');
    expect(text.indexOf('"sets"')).toBeLessThan(text.indexOf('"entries"'));
  });

  it.each([
    ['set without member', { entries: { [child.key]: { ...child, member: undefined } } }, /set and member go together/],
    ['an empty member', { entries: { [child.key]: { ...child, member: '' } } }, /member must be a non-empty string/],
    ['members not a count', { entries: {}, sets: { 'team-a/devs': { members: -1 } } }, /members must be a non-negative integer/],
  ])('refuses %s: a record that would decide removals must make sense', async (_, over, message) => {
    const path = join(dir, 'state.json');
    await writeFile(path, JSON.stringify({ version: 2, coderUrl: URL, ...over }));
    const error = await readState(path, URL).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateError);
    expect((error as Error).message).toMatch(message);
  });
});
