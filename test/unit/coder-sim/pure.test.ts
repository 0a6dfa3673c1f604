import { describe, expect, it } from 'vitest';
import { isValidWorkspaceName } from '../../../src/coder-sim/names.ts';
import { nextStartAt, validateWeeklySchedule } from '../../../src/coder-sim/schedule.ts';
import { parseWorkspaceQuery } from '../../../src/coder-sim/search-query.ts';
import { applySeed, parseSeedYaml } from '../../../src/coder-sim/seed.ts';
import { isUuid } from '../../../src/api/patterns.ts';
import { SimState } from '../../../src/coder-sim/state.ts';
import { readFileSync } from 'node:fs';

describe('workspace name rules', () => {
  it.each([
    ['a', true],
    ['dev-1', true],
    ['A1-b2-C3', true],
    ['x'.repeat(32), true],
    ['', false],
    ['x'.repeat(33), false],
    ['-a', false],
    ['a-', false],
    ['a--b', false],
    ['a_b', false],
    ['new', false],
    ['create', false],
  ])('%s → %s', (name, ok) => expect(isValidWorkspaceName(name)).toBe(ok));
});

describe('weekly schedules', () => {
  it.each([
    ['30 9 * * 1-5', undefined],
    ['CRON_TZ=Asia/Tokyo 0 7 * * *', undefined],
    ['0 9 * * 1 5', 'parse schedule: expected exactly 5 fields, found 5: [9 * * 1 5]'],
  ])('%s', (raw, problem) => {
    if (problem === undefined) expect(validateWeeklySchedule(raw)).toBeUndefined();
    else expect(validateWeeklySchedule(raw)).toMatch(/^(parse|validate) /);
  });

  it('computes the next start in the schedule time zone', () => {
    const now = Date.parse('2026-09-05T12:00:00Z'); // a Saturday
    expect(new Date(nextStartAt('CRON_TZ=Europe/Berlin 30 8 * * 1-5', now)!).toISOString()).toBe('2026-09-07T06:30:00.000Z');
  });
});

describe('workspace search query', () => {
  it('lowercases and splits owner/name and quoted terms', () => {
    expect(parseWorkspaceQuery('Alice/My-WS')).toEqual({ owner: 'alice', name: 'my-ws' });
    expect(parseWorkspaceQuery('name:"a b" template:Docker')).toEqual({ name: 'a b', template: 'docker' });
    expect(parseWorkspaceQuery('a/b/c')).toEqual([{ field: 'q', detail: 'Query element "a/b/c" can only contain 1 \'/\'' }]);
  });
});

describe('seed', () => {
  it('loads the example seed with valid UUIDs and deterministic tokens', () => {
    const seed = parseSeedYaml(readFileSync(new URL('../../../examples/coder-sim-seed.yaml', import.meta.url), 'utf8'));
    const make = () => {
      const state = new SimState({ clock: () => 0, allowRenames: false, buildDurationMs: 0, randomSeed: 7 });
      applySeed(state, seed);
      return state;
    };
    const a = make();
    expect([...a.users.values()].map((u) => u.username)).toEqual(['admin', 'alice', 'bob', 'carol']);
    for (const id of [...a.users.keys(), ...a.templates.keys(), ...a.workspaces.keys()]) expect(isUuid(id)).toBe(true);
    expect(a.tokenFor('carol')).toMatch(/^[A-Za-z0-9]{10}-[A-Za-z0-9]{22}$/);
    expect(make().tokenFor('carol')).toBe(a.tokenFor('carol'));
    const scratch = a.findLiveWorkspace(a.findUser('carol')!.id, 'carol-scratch');
    expect(scratch?.ttlMs).toBe(4 * 3600_000);
    expect(a.defaultOrg().name).toBe('coder');
  });

  it('refuses references to unknown things', () => {
    const state = new SimState({ clock: () => 0, allowRenames: false, buildDurationMs: 0, randomSeed: 1 });
    expect(() => applySeed(state, { workspaces: [{ owner: 'ghost', name: 'x', template: 'y' }] })).toThrow(/unknown owner/);
    expect(() => applySeed(state, { users: [{ username: 'u', organizations: { nowhere: 'member' } }] })).toThrow(/unknown organization/);
  });
});
