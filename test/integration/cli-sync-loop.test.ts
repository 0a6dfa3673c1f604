// The long-running sync loop (stopped by SIGTERM, serving /metrics and
// /healthz), https tokens through a real git smart-HTTP server, and plan
// --repo with markdown output.
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { wsYaml } from '../unit/gitops/git-fixture.ts';
import { CLI } from './harness.ts';
import { startGitHttpServer } from './git-http.ts';
import { SEED } from './seed.ts';
import { eventually } from '../support/eventually.ts';
import { startSyncWorld, type SyncWorld } from './sync-helpers.ts';

/** Hang guards for the waits and the tests around them, not measures: a loaded machine is slow. */
const WAIT_MS = 60_000;
const TEST_MS = 120_000;

let w: SyncWorld;

afterEach(async () => {
  const problems = w.h.contractProblems();
  await w.h.close();
  expect(problems).toEqual([]);
});

describe('the sync loop', { timeout: TEST_MS }, () => {
  it('applies each new commit, serves metrics and health, and exits 0 on SIGTERM', async () => {
    w = await startSyncWorld({ seed: SEED });
    const c1 = w.repo.commit({ 'workspaces/a.yaml': wsYaml('a', { owner: 'alice' }) });
    // The loop's flags written out per test: each test is about a different set of them (status file, metrics, a missing token).
    const child = spawn(
      process.execPath,
      [
        CLI,
        'sync',
        '--repo',
        w.repo.remote,
        '--path',
        'workspaces',
        '--interval',
        '200ms',
        '--allow-short-intervals',
        '--status-file',
        w.statusPath,
        '--cache-dir',
        join(w.h.dir, 'cache'),
        '--metrics-bind-address',
        '127.0.0.1:0',
        '--log-level',
        'info',
      ],
      {
        cwd: w.h.dir,
        env: { PATH: process.env.PATH ?? '', HOME: w.h.dir, CODER_URL: w.h.sim.url, CODER_SESSION_TOKEN: w.h.sim.tokenFor('admin') },
      },
    );
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    try {
      const base = await eventually('the metrics address', async () => /"address":"(http:\/\/[^"]+)"/.exec(stderr)?.[1], WAIT_MS);
      await eventually('c1 applied', async () => ((await w.status()).lastAppliedRevision === c1 ? true : undefined), WAIT_MS);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${base}/readyz`)).text()).toBe('ok');

      const c2 = w.repo.commit({ 'workspaces/b.yaml': wsYaml('b', { owner: 'bob' }) });
      await eventually('c2 applied', async () => ((await w.status()).lastAppliedRevision === c2 ? true : undefined), WAIT_MS);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(/cwo_sync_runs_total\{result="Applied"\} 2/);
      expect(metrics).toContain(`cwo_sync_last_applied_revision_info{repo="${w.repo.remote}",ref="main",revision="${c2}"} 1`);
      expect(metrics).toMatch(/cwo_coder_requests_total\{method="POST",route="\/api\/v2\/users\/\{user\}\/workspaces",code="201"\} 2/);
      expect(metrics).toContain('cwo_workspaces{condition="Synced",status="True"} 2');
      expect(metrics).toContain('cwo_reconcile_duration_seconds_count{result="Applied"} 2');
      // Same commit from then on: ticks go on without a Coder write.
      w.h.resetCalls();
      await eventually(
        'an Unchanged tick',
        async () => (/Unchanged/.test(await (await fetch(`${base}/metrics`)).text()) ? true : undefined),
        WAIT_MS,
      );
      expect(w.h.writes()).toEqual([]);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stdout).toContain('Applied (2 workspace(s))');
  });
});

describe('credentials', () => {
  it('an https token reaches git as a header only: never in output, status, state or the clone', async () => {
    w = await startSyncWorld({ seed: SEED });
    w.repo.commit({ 'workspaces/a.yaml': wsYaml('a', { owner: 'alice' }) });
    const token = 'gho_integration-secret-token-42';
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    const server = await startGitHttpServer(join(w.h.dir, 'git'), token);
    try {
      const url = `${server.url}/remote.git`;
      const wrong = await w.sync(['--token-env', 'GIT_TOKEN'], { repo: url, env: { GIT_TOKEN: 'gho_wrong-token-000000' } });
      expect(wrong.code).toBe(1);
      expect(wrong.stdout).toContain('error (FetchFailed): cannot fetch');
      expect(w.h.sim.calls).toEqual([]);

      const ok = await w.sync(['--token-env', 'GIT_TOKEN'], { repo: url, env: { GIT_TOKEN: token } });
      expect(ok.code, ok.stdout + ok.stderr).toBe(0);
      expect(server.authHeaders).toContain(`Basic ${basic}`);

      const files = [await readFile(w.statusPath, 'utf8'), await readFile(join(w.h.dir, '.cwo-state.json'), 'utf8')];
      const cache = join(w.h.dir, 'cache');
      for (const clone of await readdir(cache)) files.push(await readFile(join(cache, clone, 'config'), 'utf8'));
      for (const text of [wrong.stdout, wrong.stderr, ok.stdout, ok.stderr, ...files]) {
        expect(text).not.toContain(token);
        expect(text).not.toContain(basic);
        expect(text).not.toContain(w.h.sim.tokenFor('admin'));
      }
    } finally {
      await server.close();
    }
  });
});

describe('plan --repo', () => {
  it('plans a given commit with the detailed exit codes and a markdown summary; errors carry file:line', async () => {
    w = await startSyncWorld({ seed: SEED });
    const c1 = w.repo.commit({ 'workspaces/a.yaml': wsYaml('a', { owner: 'alice' }), 'workspaces/b.yaml': wsYaml('b', { owner: 'bob' }) });
    expect((await w.sync()).code).toBe(0);
    const c2 = w.repo.commit({ 'workspaces/a.yaml': wsYaml('a', { owner: 'alice', ttl: '4h' }), 'workspaces/b.yaml': null });
    const broken = w.repo.commit({ 'workspaces/c.yaml': wsYaml('c', { owner: 'carol', ttl: 'soon' }) });
    w.h.resetCalls();

    // The checkout at a commit is another source than the remote's main that sync recorded (issue 18): plan is
    // refused unless told to read the sync's entries as its own (it writes nothing either way).
    const refused = await w.h.cli(['plan', '--repo', w.repo.work, '--ref', c1, '--path', 'workspaces']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`--state-source-takeover ${w.repo.remote}#main`);
    const plan = (ref: string, ...extra: string[]) =>
      w.h.cli([
        'plan',
        '--repo',
        w.repo.work,
        '--ref',
        ref,
        '--path',
        'workspaces',
        '--state-source-takeover',
        `${w.repo.remote}#main`,
        ...extra,
      ]);
    expect((await plan(c1)).code).toBe(0);
    const md = await plan(c2, '--prune', '-o', 'markdown');
    expect(md.code).toBe(2);
    expect(md.stdout).toContain(`Source: \`workspaces\` at \`${c2.slice(0, 12)}\``);
    expect(md.stdout).toContain('| `team-a/a` | ✏️ change | ttl: 8h -> 4h |');
    expect(md.stdout).toContain('| `team-a/b` | 🗑️ delete | bob/b (deletionPolicy Delete) |');
    const bad = await plan(broken, '-o', 'markdown');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/\| `workspaces\/c\.yaml:8:\d+` document 1 \| `spec\.ttl` \| /);
    const missing = await plan('no-such-ref', '-o', 'markdown');
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('ref "no-such-ref" not found');
    expect(w.h.writes()).toEqual([]);
  });
});

describe('loop timing', () => {
  it('refuses --interval 0s --resync 0s before touching git or Coder', async () => {
    w = await startSyncWorld({ seed: SEED });
    w.repo.commit({ 'workspaces/a.yaml': wsYaml('a', { owner: 'alice' }) });
    const r = await w.h.cli(['sync', '--repo', w.repo.remote, '--interval', '0s', '--resync', '0s', '--cache-dir', join(w.h.dir, 'cache')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: --interval must be at least 10s (got 0s); --resync must be at least 1m (got 0s)');
    expect(await readdir(join(w.h.dir, 'cache')).catch(() => [])).toEqual([]);
    expect(w.h.sim.calls).toEqual([]);
  });

  it('a loop that keeps failing (no Coder token) backs off: each wait doubles', async () => {
    w = await startSyncWorld({ seed: SEED });
    w.repo.commit({ 'workspaces/a.yaml': wsYaml('a', { owner: 'alice' }) });
    const child = spawn(
      process.execPath,
      [
        CLI,
        'sync',
        '--repo',
        w.repo.remote,
        '--path',
        'workspaces',
        '--interval',
        '100ms',
        '--allow-short-intervals',
        '--cache-dir',
        join(w.h.dir, 'cache'),
        '--metrics-bind-address',
        '0',
      ],
      { cwd: w.h.dir, env: { PATH: process.env.PATH ?? '', HOME: w.h.dir, CODER_URL: w.h.sim.url } },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    const waits = () => [...stderr.matchAll(/"nextTickInMs":(\d+)/g)].map((m) => Number(m[1]));
    try {
      await eventually('four backoffs', async () => (waits().length >= 4 ? true : undefined), WAIT_MS);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(waits().slice(0, 4)).toEqual([200, 400, 800, 1600]);
    expect(stderr).toContain('no Coder token');
  });
});
