import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveStatePath } from '../../../src/gitops/state-path.ts';

let dir: string;
beforeEach(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'cwo-state-path-')));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('resolveStatePath', () => {
  it('follows a symlink to an existing state, and to one that does not exist yet', async () => {
    await mkdir(join(dir, 'real'));
    await writeFile(join(dir, 'real', 'state.json'), '{}');
    await symlink(join(dir, 'real', 'state.json'), join(dir, 'link.json'));
    expect(await resolveStatePath(join(dir, 'link.json'))).toBe(join(dir, 'real', 'state.json'));
    await symlink('real/new.json', join(dir, 'dangling.json')); // relative to the link's directory
    expect(await resolveStatePath(join(dir, 'dangling.json'))).toBe(join(dir, 'real', 'new.json'));
  });

  it('gives one path for two spellings of one file (a symlinked directory)', async () => {
    await mkdir(join(dir, 'real'));
    await symlink(join(dir, 'real'), join(dir, 'alias'));
    expect(await resolveStatePath(join(dir, 'alias', 'state.json'))).toBe(join(dir, 'real', 'state.json'));
  });

  it('a missing file in a missing directory is the path as given; a symlink loop is an error', async () => {
    expect(await resolveStatePath(join(dir, 'no', 'such', 'state.json'))).toBe(join(dir, 'no', 'such', 'state.json'));
    await symlink(join(dir, 'b'), join(dir, 'a'));
    await symlink(join(dir, 'a'), join(dir, 'b'));
    await expect(resolveStatePath(join(dir, 'a'))).rejects.toThrow(/state file .*a: (cannot read state file|more than)|ELOOP/);
  });
});
