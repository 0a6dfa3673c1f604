import { describe, expect, it } from 'vitest';
import { claimState, FILES_SOURCE, LEGACY_GIT_SOURCE, sameSource, sourceOf, type RunSource } from '../../../src/gitops/source-identity.ts';
import { gitSources } from '../../../src/gitops/git-source.ts';
import { emptyState, recordApplied, StateError, type StateEntry } from '../../../src/gitops/state.ts';
import { overridden, type Overrides } from '../../support/overrides.ts';

const URL = 'https://coder.example.com';

function entry(key: string, over: Overrides<StateEntry> = {}): StateEntry {
  return overridden<StateEntry>(
    {
      key,
      id: `id-${key}`,
      owner: 'alice',
      ownerId: 'owner-1',
      name: 'dev',
      organizationId: 'org-1',
      origin: 'created',
      deletionPolicy: 'Delete',
      management: 'Full',
      source: 'git:ws/a.yaml',
      repository: 'https://git.example.com/org/a.git',
      ref: 'main',
      lastAppliedAt: '2026-01-01T00:00:00.000Z',
    },
    over,
  );
}

const repoA = gitSources('https://git.example.com/org/a.git', 'main', 'ws/');
const repoB = gitSources('https://git.example.com/org/b.git', 'main', 'ws/');
const files: RunSource = { name: FILES_SOURCE, record: (f) => f, scope: ['/x'] };

describe('source identity', () => {
  it('names an entry by repository and ref, a version 1 git entry as legacy, a local file as files', () => {
    expect(sourceOf(entry('a/b'))).toBe('https://git.example.com/org/a.git#main');
    expect(sourceOf({ source: 'git:ws/a.yaml' })).toBe(LEGACY_GIT_SOURCE);
    expect(sourceOf({ source: '/home/me/ws/a.yaml' })).toBe(FILES_SOURCE);
    expect(sourceOf({ source: '-' })).toBe(FILES_SOURCE);
  });

  it('one repository whatever the host case, a trailing slash or .git; another ref is another source', () => {
    expect(sameSource('https://GIT.example.com/org/a.git#main', 'https://git.example.com/org/a/#main')).toBe(true);
    expect(sameSource('https://git.example.com/org/a.git#main', 'https://git.example.com/org/a.git#staging')).toBe(false);
    expect(sameSource('https://git.example.com/org/a.git#main', 'https://git.example.com/org/b.git#main')).toBe(false);
    expect(gitSources('https://git.example.com/org/a.git', 'refs/heads/main', '.').name).toBe(repoA.name);
  });

  it('a state of this source is used as it is', () => {
    const state = recordApplied(emptyState(URL), entry('a/one'));
    expect(claimState(state, 's.json', repoA, [])).toBe(state);
  });

  it('refuses a state holding entries of another repository, naming it and the flag; nothing relabelled', () => {
    const state = recordApplied(emptyState(URL), [entry('a/one'), entry('a/two')]);
    expect(() => claimState(state, 's.json', repoB, [])).toThrow(StateError);
    expect(() => claimState(state, 's.json', repoB, [])).toThrow(
      'state file s.json records workspaces of https://git.example.com/org/a.git#main (2 workspaces), not of this run',
    );
    expect(() => claimState(state, 's.json', repoB, [])).toThrow('--state-source-takeover https://git.example.com/org/a.git#main');
    expect(() => claimState(state, 's.json', repoB, ['https://git.example.com/org/c.git#main'])).toThrow(StateError);
  });

  it('takes over what the named source recorded: its entries then carry this repository and ref', () => {
    const state = recordApplied(emptyState(URL), [entry('a/one'), entry('a/legacy', { repository: undefined, ref: undefined })]);
    delete state.entries['a/legacy']!.repository;
    delete state.entries['a/legacy']!.ref;
    expect(() => claimState(state, 's.json', repoB, ['https://git.example.com/org/a.git#main'])).toThrow(
      `--state-source-takeover ${LEGACY_GIT_SOURCE}`,
    );
    const taken = claimState(state, 's.json', repoB, ['https://git.example.com/org/a.git#main', LEGACY_GIT_SOURCE]);
    for (const e of Object.values(taken.entries)) expect(sourceOf(e)).toBe(repoB.name);
    expect(taken.entries['a/one']!.source).toBe('git:ws/a.yaml');
    expect(state.entries['a/one']!.repository).toBe('https://git.example.com/org/a.git'); // the state read is untouched
  });

  it('never across kinds: local files and git name their files differently', () => {
    const state = recordApplied(emptyState(URL), entry('a/one', { source: '/x/a.yaml', repository: undefined, ref: undefined }));
    delete state.entries['a/one']!.repository;
    delete state.entries['a/one']!.ref;
    expect(() => claimState(state, 's.json', repoA, [FILES_SOURCE])).toThrow(/cannot be taken over by/);
    const git = recordApplied(emptyState(URL), entry('a/one'));
    expect(() => claimState(git, 's.json', files, [repoA.name])).toThrow(/cannot be taken over by files/);
  });
});
