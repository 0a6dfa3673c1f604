// Credentials written into URLs: a password in the Coder URL or in a git
// repository URL is refused before anything uses the URL, and the refusal
// does not repeat it (it would otherwise reach errors, -o json, the state
// file, the status file, and git's argv where `ps` shows it).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { wsYaml } from '../unit/gitops/git-fixture.ts';
import { workspaceYaml } from './harness.ts';
import { startGitHttpServer } from './git-http.ts';
import { SEED } from './seed.ts';
import { startSyncWorld, type SyncWorld } from './sync-helpers.ts';

let w: SyncWorld;

afterEach(async () => {
  await w.h.close();
});

const PASSWORD = 'hunter2-very-secret';

describe('a user name or password in the Coder URL', () => {
  it('is refused by plan, apply, -o json and sync, naming the variable, never the password, and calling nothing', async () => {
    w = await startSyncWorld({ seed: SEED });
    w.repo.commit({ 'workspaces/a.yaml': wsYaml('a', { owner: 'alice' }) });
    await w.h.write('ws.yaml', workspaceYaml('ws', { owner: 'alice', template: 'docker' }));
    const withPassword = w.h.sim.url.replace('://', `://bob:${PASSWORD}@`);
    const runs = [
      await w.h.cli(['plan', '-f', 'ws.yaml'], { env: { CODER_URL: withPassword } }),
      await w.h.cli(['apply', '-f', 'ws.yaml', '-o', 'json'], { env: { CODER_URL: withPassword } }),
      await w.h.cli(['plan', '-f', 'ws.yaml', '--url', withPassword]),
      await w.sync([], { env: { CODER_URL: withPassword } }),
      await w.sync(['--url', w.h.sim.url.replace('://', `://${PASSWORD}@`)]),
    ];
    for (const [i, r] of runs.entries()) {
      expect(r.code, `run ${i}`).toBe(1);
      expect(r.stderr, `run ${i}`).toMatch(/(CODER_URL|--url) must not contain a user name or password/);
      expect(r.stdout + r.stderr, `run ${i}`).not.toContain(PASSWORD);
    }
    expect(await readdir(w.h.dir)).not.toContain('.cwo-state.json');
    expect(await readdir(w.h.dir)).not.toContain('status.json');
    expect(w.h.sim.calls).toEqual([]);
  });

  it('is refused in a CoderConnection document, at spec.url, without quoting it', async () => {
    w = await startSyncWorld({ seed: SEED });
    // Written out: the error's position (line 1:121) counts the characters of exactly this text.
    const connection = JSON.stringify({
      apiVersion: 'coderops.dev/v1alpha1',
      kind: 'CoderConnection',
      metadata: { name: 'coder', namespace: 'team-a' },
      spec: { url: `https://bob:${PASSWORD}@coder.example.com`, tokenSecretRef: { name: 'coder-token' } },
    });
    await w.h.write('all.yaml', `${connection}\n---\n${workspaceYaml('ws', { owner: 'alice', template: 'docker' })}`);
    const r = await w.h.cli(['plan', '-f', 'all.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('all.yaml: document 1 (line 1:121): spec.url: url must not contain a user name or password');
    expect(r.stdout).not.toContain(PASSWORD);
  });
});

describe('a user name or password in the git repository URL', () => {
  it('is refused with a pointer to --token-env, before git runs, and never shown', async () => {
    w = await startSyncWorld({ seed: SEED });
    w.repo.commit({ 'workspaces/a.yaml': wsYaml('a', { owner: 'alice' }) });
    const server = await startGitHttpServer(join(w.h.dir, 'git'), PASSWORD);
    try {
      const inUrl = server.url.replace('://', `://x-access-token:${PASSWORD}@`);
      const tokenOnly = server.url.replace('://', `://${PASSWORD}@`);
      const runs = [
        await w.sync([], { repo: `${inUrl}/remote.git` }),
        await w.sync([], { repo: `${tokenOnly}/remote.git` }),
        await w.h.cli(['plan', '--repo', `${inUrl}/remote.git`, '--path', 'workspaces']),
      ];
      for (const [i, r] of runs.entries()) {
        expect(r.code, `run ${i}`).toBe(1);
        expect(r.stderr, `run ${i}`).toContain('--repo must not contain a user name or password');
        expect(r.stderr, `run ${i}`).toContain('--token-env');
        expect(r.stdout + r.stderr, `run ${i}`).not.toContain(PASSWORD);
      }
      // git never ran: no request reached the server, nothing was cloned.
      expect(server.authHeaders).toEqual([]);
      expect(await readdir(join(w.h.dir, 'cache')).catch(() => [])).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('an ssh user name (git@host) is no credential and is kept', async () => {
    w = await startSyncWorld({ seed: SEED });
    const r = await w.sync(['--git-timeout', '5s'], { repo: 'ssh://git@127.0.0.1:1/nowhere.git' });
    expect(r.code).toBe(1);
    // git ran (and found no server): the address was not refused.
    expect(r.stdout).toContain('error (FetchFailed): cannot fetch ssh://127.0.0.1:1/nowhere.git: git fetch failed');
    expect(r.stderr).not.toContain('must not contain');
  });
});
