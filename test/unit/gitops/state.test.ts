import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  emptyState,
  forget,
  readState,
  recordApplied,
  StateError,
  writeState,
  type StateEntry,
  type StateFile,
} from '../../../src/gitops/state.ts';

const URL = 'https://coder.example.com';

// Not shared with source-identity.test.ts's entry(): here the Coder name follows the key, which these cases rely on.
function entry(key: string, over: Partial<StateEntry> = {}): StateEntry {
  return {
    key,
    id: `id-${key}`,
    owner: 'alice',
    ownerId: 'owner-1',
    name: key.split('/')[1]!,
    organizationId: 'org-1',
    origin: 'created',
    deletionPolicy: 'Orphan',
    source: '/repo/workspaces/team-a.yaml',
    lastAppliedAt: '2025-01-02T03:04:05.000Z',
    ...over,
  };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cwo-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('state file', () => {
  it('reads a missing file as empty state for this deployment', async () => {
    expect(await readState(join(dir, 'state.json'), URL)).toEqual({ version: 2, coderUrl: URL, entries: {} });
  });

  it('round-trips, with mode 0600 and no temp files left behind', async () => {
    const path = join(dir, 'state.json');
    const state = recordApplied(recordApplied(emptyState(URL), entry('default/b')), entry('default/a', { origin: 'adopted' }));
    await writeState(path, state);
    expect(await readState(path, URL)).toEqual(state);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('writes entries in a stable order whatever order they were recorded in', async () => {
    const one = join(dir, 'one.json');
    const two = join(dir, 'two.json');
    await writeState(one, recordApplied(recordApplied(emptyState(URL), entry('ns/b')), entry('ns/a')));
    const reordered: StateFile = { version: 2, coderUrl: URL, entries: {} };
    reordered.entries['ns/a'] = { ...entry('ns/a') };
    // Same entry, fields in another order.
    const { key, ...rest } = entry('ns/b');
    reordered.entries['ns/b'] = { ...rest, key };
    await writeState(two, reordered);
    const text = await readFile(one, 'utf8');
    expect(await readFile(two, 'utf8')).toBe(text);
    expect(text.indexOf('"ns/a"')).toBeLessThan(text.indexOf('"ns/b"'));
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('replaces an existing file and creates a missing directory', async () => {
    const path = join(dir, 'nested', 'deeper', 'state.json');
    await writeState(path, recordApplied(emptyState(URL), entry('ns/a')));
    await writeState(path, forget(recordApplied(emptyState(URL), entry('ns/a')), 'ns/a'));
    expect((await readState(path, URL)).entries).toEqual({});
    expect(await readdir(join(dir, 'nested', 'deeper'))).toEqual(['state.json']);
  });

  it('leaves the old file and no temp file when the write fails', async () => {
    const path = join(dir, 'state.json');
    await writeState(path, recordApplied(emptyState(URL), entry('ns/a')));
    const before = await readFile(path, 'utf8');
    // An entry that cannot be serialised: the failure comes after the temp file exists.
    const bad = entry('ns/b');
    Object.defineProperty(bad, 'id', {
      enumerable: true,
      get: () => {
        throw new Error('boom');
      },
    });
    await expect(writeState(path, { version: 2, coderUrl: URL, entries: { 'ns/b': bad } })).rejects.toThrow('boom');
    expect(await readFile(path, 'utf8')).toBe(before);
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it.each([
    ['https://coder.example.com/', true],
    ['https://CODER.example.com', true],
    ['https://other.example.com', false],
    ['http://coder.example.com', false],
    ['https://coder.example.com:8443', false],
    ['https://coder.example.com/sub', false],
  ])('reading for %s: accepted %s', async (url, accepted) => {
    const path = join(dir, 'state.json');
    await writeState(path, recordApplied(emptyState(URL), entry('ns/a')));
    const read = readState(path, url);
    if (accepted) await expect(read).resolves.toMatchObject({ entries: { 'ns/a': { id: 'id-ns/a' } } });
    else
      await expect(read).rejects.toThrow(
        new StateError(`state file ${path} records workspaces of ${URL}, not ${url}; use one state file per Coder deployment`),
      );
  });

  it.each<[string, string, RegExp]>([
    ['not JSON', '{"version": 1,', /^state file .*state\.json is not valid JSON: /],
    ['an array', '[]', /state\.json is not a state file this tool wrote: expected a JSON object/],
    ['no version', '{"coderUrl": "https://coder.example.com", "entries": {}}', /version must be 1/],
    [
      'a newer version',
      '{"version": 3, "coderUrl": "https://coder.example.com", "entries": {}}',
      /has version 3, written by a newer version/,
    ],
    ['no coderUrl', '{"version": 1, "entries": {}}', /coderUrl must be a string/],
    ['entries not an object', '{"version": 1, "coderUrl": "https://coder.example.com", "entries": []}', /entries must be an object/],
    [
      'an entry without id',
      JSON.stringify({ version: 1, coderUrl: URL, entries: { 'ns/a': { ...entry('ns/a'), id: '' } } }),
      /entries\["ns\/a"\]\.id must be a non-empty string/,
    ],
    [
      'an entry under another key',
      JSON.stringify({ version: 1, coderUrl: URL, entries: { 'ns/b': entry('ns/a') } }),
      /entries\["ns\/b"\]\.key does not match/,
    ],
    [
      'an unknown origin',
      JSON.stringify({ version: 1, coderUrl: URL, entries: { 'ns/a': { ...entry('ns/a'), origin: 'found' } } }),
      /origin must be created or adopted/,
    ],
    [
      'an unknown deletion policy',
      JSON.stringify({ version: 1, coderUrl: URL, entries: { 'ns/a': { ...entry('ns/a'), deletionPolicy: 'delete' } } }),
      /deletionPolicy must be Delete or Orphan/,
    ],
    [
      'version 2 fields in a version 1 file',
      JSON.stringify({ version: 1, coderUrl: URL, entries: { 'ns/a': { ...entry('ns/a'), management: 'Full' } } }),
      /fields of version 2 in a version 1 file/,
    ],
    [
      'an unknown management',
      JSON.stringify({ version: 2, coderUrl: URL, entries: { 'ns/a': { ...entry('ns/a'), management: 'All' } } }),
      /management must be Full or Observe/,
    ],
    [
      'a repository without its ref',
      JSON.stringify({ version: 2, coderUrl: URL, entries: { 'ns/a': { ...entry('ns/a'), repository: 'https://g/x.git' } } }),
      /repository and ref go together/,
    ],
  ])('refuses %s, naming the file', async (_name, text, message) => {
    const path = join(dir, 'state.json');
    await writeFile(path, text);
    const error = await readState(path, URL).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateError);
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toMatch(message);
  });

  it('reads version 1 and writes version 2: no entry gains evidence it did not have', async () => {
    const path = join(dir, 'state.json');
    const v1 = { version: 1, coderUrl: URL, entries: { 'ns/a': entry('ns/a', { deletionPolicy: 'Delete', source: 'git:ws/a.yaml' }) } };
    await writeFile(path, JSON.stringify(v1));
    const read = await readState(path, URL);
    expect(read.version).toBe(2);
    expect(read.entries['ns/a']!.management).toBeUndefined();
    expect(read.entries['ns/a']!.repository).toBeUndefined();
    await writeState(path, read);
    const written = JSON.parse(await readFile(path, 'utf8'));
    expect(written.version).toBe(2);
    expect(Object.keys(written.entries['ns/a'])).not.toContain('management');
    expect(await readState(path, URL)).toEqual(read);
  });

  it('writes management, repository and ref when set, in a fixed order', async () => {
    const path = join(dir, 'state.json');
    const e = entry('ns/a', { management: 'Observe', repository: 'https://g.example/ws.git', ref: 'main', source: 'git:a.yaml' });
    await writeState(path, recordApplied(emptyState(URL), e));
    const written = JSON.parse(await readFile(path, 'utf8'));
    expect(Object.keys(written.entries['ns/a'])).toEqual([
      'key',
      'id',
      'owner',
      'ownerId',
      'name',
      'organizationId',
      'origin',
      'deletionPolicy',
      'management',
      'source',
      'repository',
      'ref',
      'lastAppliedAt',
    ]);
    expect(await readState(path, URL)).toEqual(recordApplied(emptyState(URL), e));
  });

  it('refuses a path it cannot read as a file', async () => {
    await expect(readState(dir, URL)).rejects.toThrow(new StateError(`cannot read state file ${dir}: EISDIR`));
  });
});

describe('recordApplied and forget', () => {
  it('return new states and leave the input alone', () => {
    const start = emptyState(URL);
    const one = recordApplied(start, entry('ns/a'));
    const two = recordApplied(one, entry('ns/a', { name: 'renamed' }));
    const three = forget(two, 'ns/a');
    expect(start.entries).toEqual({});
    expect(one.entries['ns/a']?.name).toBe('a');
    expect(two.entries['ns/a']?.name).toBe('renamed');
    expect(three).toEqual({ version: 2, coderUrl: URL, entries: {} });
    expect(forget(one, 'ns/missing')).toEqual(one);
  });

  it('records many entries in one call, later ones winning', () => {
    const many = Array.from({ length: 500 }, (_, i) => entry(`ns/w${i}`));
    const state = recordApplied(emptyState(URL), [...many, entry('ns/w7', { name: 'renamed' })]);
    expect(Object.keys(state.entries)).toHaveLength(500);
    expect(state.entries['ns/w7']?.name).toBe('renamed');
  });
});
