// The git source against real repositories: clone into the cache, fetch,
// resolve refs, read trees without a checkout, and the failures sync reports.
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gitEnvironment } from '../../../src/gitops/git-auth.ts';
import { GitSource, SourceError, gitSources, normalizePath } from '../../../src/gitops/git-source.ts';
import { scrub } from '../../../src/observability/logger.ts';
import { createGitFixture, git, GIT_ENV, wsYaml, type GitFixture } from './git-fixture.ts';

let root: string;
let repo: GitFixture;
let cache: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'cwo-git-'));
  repo = createGitFixture(join(root, 'repo'));
  cache = join(root, 'cache');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function source(url = repo.remote, inPlace = false): GitSource {
  return new GitSource({ repo: url, env: GIT_ENV, cacheRoot: cache, timeoutMs: 60_000, inPlace });
}

async function failure(p: Promise<unknown>): Promise<SourceError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SourceError);
  return e as SourceError;
}

describe('GitSource', () => {
  it('clones once into <cache>/<hash>, reads only declaration files under the path, sorted, without a checkout', async () => {
    const c1 = repo.commit({
      'workspaces/b.yaml': wsYaml('b', { owner: 'bob' }),
      'workspaces/a.json': '{"kind":"List","items":[]}',
      'workspaces/team/c.yml': wsYaml('c', { owner: 'carol' }),
      'workspaces/.hidden/x.yaml': 'not: read',
      'workspaces/README.md': '# not read',
      'other/d.yaml': wsYaml('d', { owner: 'alice' }),
    });
    const s = source();
    await s.fetch();
    expect(await s.resolve('main')).toBe(c1);
    const files = await s.readTree(c1, './workspaces/');
    expect(files.map((f) => f.path)).toEqual(['workspaces/a.json', 'workspaces/b.yaml', 'workspaces/team/c.yml']);
    expect(files[1]).toEqual({ path: 'workspaces/b.yaml', text: wsYaml('b', { owner: 'bob' }) });
    expect((await s.readTree(c1, 'other/d.yaml')).map((f) => f.path)).toEqual(['other/d.yaml']);

    expect(s.dir.startsWith(cache)).toBe(true);
    expect(await readdir(cache)).toEqual([s.dir.slice(cache.length + 1)]);
    expect(git(s.dir, 'rev-parse', '--is-bare-repository')).toBe('true');
    // The URL is given on every fetch, never stored: a clone's config holds no URL or credential.
    expect(await readFile(join(s.dir, 'config'), 'utf8')).not.toContain(repo.remote);
    // Another instance for the same URL reuses the clone.
    expect(source().dir).toBe(s.dir);
  });

  it('fetch picks up new commits; resolves tags, commit ids and abbreviations', async () => {
    const c1 = repo.commit({ 'w/a.yaml': wsYaml('a', { owner: 'alice' }) });
    git(repo.work, 'tag', 'v1');
    git(repo.work, 'push', '--quiet', 'origin', 'v1');
    const s = source();
    await s.fetch();
    const c2 = repo.commit({ 'w/a.yaml': wsYaml('a', { owner: 'alice', ttl: '4h' }) });
    expect(await s.resolve('main')).toBe(c1); // not fetched yet
    await s.fetch();
    expect(await s.resolve('main')).toBe(c2);
    expect(await s.resolve('v1')).toBe(c1);
    expect(await s.resolve(c1)).toBe(c1);
    expect(await s.resolve(c1.slice(0, 10))).toBe(c1);
    expect(await s.isAncestor(c1, c2)).toBe(true);
    expect((await s.readTree(c1, 'w'))[0]).toMatchObject({ text: expect.stringContaining('ttl: 8h') });
  });

  it('a force-push leaves a commit that does not descend from the old one; a deleted branch is RefNotFound', async () => {
    const c1 = repo.commit({ 'w/a.yaml': wsYaml('a', { owner: 'alice' }) });
    const c2 = repo.commit({ 'w/a.yaml': wsYaml('a', { owner: 'alice', ttl: '2h' }) });
    git(repo.work, 'checkout', '--quiet', '-b', 'feature');
    repo.commit({ 'w/b.yaml': wsYaml('b', { owner: 'bob' }) }, 'feature', { push: false });
    repo.push({ branch: 'feature' });
    const s = source();
    await s.fetch();
    await s.resolve('feature');

    git(repo.work, 'checkout', '--quiet', 'main');
    git(repo.work, 'reset', '--quiet', '--hard', c1);
    const c3 = repo.commit({ 'w/a.yaml': wsYaml('a', { owner: 'alice', ttl: '3h' }) }, 'rewritten', { push: false });
    repo.push({ force: true });
    git(repo.work, 'push', '--quiet', 'origin', '--delete', 'feature');
    await s.fetch();
    expect(await s.resolve('main')).toBe(c3);
    expect(await s.isAncestor(c2, c3)).toBe(false);
    expect(await s.isAncestor(c1, c3)).toBe(true);
    expect(await s.isAncestor('0'.repeat(40), c3)).toBe(false); // unknown commit: cannot be an ancestor
    const e = await failure(s.resolve('feature'));
    expect(e.reason).toBe('RefNotFound');
    expect(e.message).toContain('ref "feature" not found');
  });

  it('missing path, a path without declaration files, and an unreachable repository are clear failures', async () => {
    const c1 = repo.commit({ 'w/a.yaml': wsYaml('a', { owner: 'alice' }), 'docs/readme.md': 'x' });
    const s = source();
    await s.fetch();
    const missing = await failure(s.readTree(c1, 'nope'));
    expect(missing.reason).toBe('PathNotFound');
    expect(missing.message).toContain(`path "nope" does not exist at ${c1.slice(0, 12)}`);
    expect((await failure(s.readTree(c1, 'docs'))).message).toContain('no .yaml, .yml or .json files under "docs"');

    const gone = await failure(source(join(root, 'no-such-repo')).fetch());
    expect(gone.reason).toBe('FetchFailed');
    expect(gone.message).toMatch(/cannot fetch .*no-such-repo: git fetch failed: .*does not appear to be a git repository/);
  });

  it('reads no blob past the bounds: a file over 8 MiB is refused by name, a tree over 10,000 files as a whole', async () => {
    const big = `# ${'x'.repeat(9 * 1024 * 1024)}\n`;
    const c1 = repo.commit({ 'w/a.yaml': wsYaml('a', { owner: 'alice' }), 'w/big.yaml': big });
    const s = source();
    await s.fetch();
    expect(await s.readTree(c1, 'w')).toEqual([
      { path: 'w/a.yaml', text: wsYaml('a', { owner: 'alice' }) },
      { path: 'w/big.yaml', error: 'is 9.0 MiB, more than the 8.0 MiB a declaration file may have; split it' },
    ]);
    expect(await s.readTree(c1, 'w/big.yaml')).toEqual([{ path: 'w/big.yaml', error: expect.stringContaining('is 9.0 MiB') }]);

    const many = Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`many/${i}.yaml`, '']));
    const c2 = repo.commit(many);
    await s.fetch();
    expect(await s.readTree(c2, 'many')).toEqual([
      { path: 'many', error: `not read: "many" at ${c2.slice(0, 12)} holds more than 10000 declaration files, the most one run reads` },
    ]);
  });

  it('a failed first clone leaves nothing in the cache, and a clone left by a killed process is cleared', async () => {
    const gone = source(join(root, 'no-such-repo'));
    await failure(gone.fetch());
    expect(await readdir(cache)).toEqual([]);

    // A process killed mid-clone leaves <dir>.<pid>.tmp; a later first clone of the same URL removes it.
    repo.commit({ 'w/a.yaml': wsYaml('a', { owner: 'alice' }) });
    const s = source();
    const dead = `${s.dir}.999999999.tmp`;
    await mkdir(dead, { recursive: true });
    await s.fetch();
    expect(await readdir(cache)).toEqual([s.dir.slice(cache.length + 1)]);
  });

  it('reads a local repository in place (plan in CI): no clone, its own refs', async () => {
    const c1 = repo.commit({ 'w/a.yaml': wsYaml('a', { owner: 'alice' }) });
    const s = source(repo.work, true);
    await s.fetch();
    expect(await s.resolve('HEAD')).toBe(c1);
    expect((await s.readTree(c1, 'w')).map((f) => f.path)).toEqual(['w/a.yaml']);
    expect(await readdir(root)).not.toContain('cache');
  });
});

describe('git credentials and names', () => {
  it('an https token goes into GIT_CONFIG_* for that URL only, is registered for scrubbing, and is refused for non-https', async () => {
    const token = 'ghp_unit-test-token-123456';
    const env = await gitEnvironment('https://git.example.com/org/repo.git', { tokenEnv: 'T' }, { T: token });
    expect(env.GIT_CONFIG_COUNT).toBe('1');
    expect(env.GIT_CONFIG_KEY_0).toBe('http.https://git.example.com/org/repo.git.extraHeader');
    expect(env.GIT_CONFIG_VALUE_0).toBe(`Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`);
    expect(env.GIT_TERMINAL_PROMPT).toBe('0');
    // A password in the URL is refused (git would show it in `ps`), without being quoted, and scrubbed from then on.
    const refused = await gitEnvironment('https://user:pw-secret-999@git.example.com/org/repo.git', {}, {}).catch((e: Error) => e);
    expect(String(refused)).toMatch(/--repo must not contain a user name or password.*--token-env/);
    expect(String(refused)).not.toContain('pw-secret-999');
    expect(scrub(`x ${token} ${env.GIT_CONFIG_VALUE_0} pw-secret-999`)).not.toMatch(/ghp_|pw-secret|[A-Za-z0-9+/]{30,}=*/);
    await expect(gitEnvironment('/tmp/repo', { tokenEnv: 'T' }, { T: token })).rejects.toThrow(/https:\/\/ repositories only/);
    await expect(gitEnvironment('https://h/r', { tokenEnv: 'MISSING' }, {})).rejects.toThrow(/MISSING/);
  });

  it('an ssh key becomes a quoted GIT_SSH_COMMAND with strict host checking', async () => {
    const env = await gitEnvironment(
      'git@github.com:org/repo.git',
      { sshKeyFile: "/keys/it's key", sshKnownHosts: '/keys/known_hosts' },
      {},
    );
    expect(env.GIT_SSH_COMMAND).toBe(
      "ssh -i '/keys/it'\\''s key' -o IdentitiesOnly=yes -o BatchMode=yes " +
        '-o UserKnownHostsFile=/keys/known_hosts -o StrictHostKeyChecking=yes',
    );
  });

  it('state names are git:<path> under the repository and ref, and the prune scope is --path', () => {
    expect(normalizePath('./workspaces//team/')).toBe('workspaces/team');
    const s = gitSources('https://git.example.com/org/ws.git', 'refs/heads/main', './workspaces/');
    expect(s.record('workspaces/a.yaml')).toBe('git:workspaces/a.yaml');
    expect(s.scope).toEqual(['git:workspaces']);
    expect(s.name).toBe('https://git.example.com/org/ws.git#main');
    expect(s.repository).toEqual({ url: 'https://git.example.com/org/ws.git', ref: 'main' });
    expect(gitSources('/srv/ws', 'main', '.').scope).toEqual(['git:']);
  });
});
