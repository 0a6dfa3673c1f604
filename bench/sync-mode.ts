// The long-running CLI (`sync`): its idle resync. One local git repository
// holds N matching documents; after the first tick (an adoption) the loop
// re-converges the same commit every --resync, and we measure what one such
// pass costs: Coder reads, writes (target 0) and the process's CPU.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ScenarioResult } from './cli-mode.ts';
import { multiDoc, workspaceDoc } from './fixtures.ts';
import { CLI, procCpuMs, procRssMb, startSim, summarize } from './lib.ts';

const OWNERS = 500;
const RESYNC_S = 6;
const PASSES = 3;

function git(cwd: string, ...args: string[]): void {
  const r = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'bench',
      GIT_AUTHOR_EMAIL: 'bench@example.invalid',
      GIT_COMMITTER_NAME: 'bench',
      GIT_COMMITTER_EMAIL: 'bench@example.invalid',
    },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export async function runSyncIdle(n: number, log: (s: string) => void): Promise<ScenarioResult> {
  const sim = await startSim({ n, owners: OWNERS, latencyMs: 0, existing: n, buildDurationMs: 200 });
  const dir = await mkdtemp(join(tmpdir(), 'cwo-bench-sync-'));
  const repo = join(dir, 'repo');
  const statusFile = join(dir, 'status.json');
  git(dir, 'init', '-q', '-b', 'main', repo);
  await writeFile(join(repo, 'workspaces.yaml'), multiDoc(Array.from({ length: n }, (_, i) => workspaceDoc(i, OWNERS, '8h'))));
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'workspaces');
  const child = spawn(
    process.execPath,
    [
      CLI,
      'sync',
      '--repo',
      repo,
      '--path',
      '.',
      '--interval',
      '1s',
      '--resync',
      `${RESYNC_S}s`,
      '--allow-short-intervals',
      '--state',
      join(dir, 'state.json'),
      '--status-file',
      statusFile,
      '--cache-dir',
      join(dir, 'cache'),
      '--metrics-bind-address',
      '127.0.0.1:0',
    ],
    {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: dir, CODER_URL: sim.url, CODER_SESSION_TOKEN: sim.token },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const result: ScenarioResult = { mode: 'cli', scenario: 'sync-idle-resync', n, latencyMs: 0, ok: false, extra: {}, notes: [] };
  try {
    log(`sync n=${n}: first tick (adoption)`);
    await until(
      'the first applied revision',
      async () => {
        const text = await readFile(statusFile, 'utf8').catch(() => '');
        return text.includes('"lastAppliedRevision"') ? true : undefined;
      },
      120_000,
    );
    // Let the tick that wrote the status finish its bookkeeping, then count from a clean slate.
    await sleep(500);
    await sim.reset();
    const cpu0 = procCpuMs(child.pid!);
    const t0 = Date.now();
    log(`sync n=${n}: ${PASSES} idle resyncs (--resync ${RESYNC_S}s)`);
    const pageReads = Math.ceil(n / 2000);
    await until(
      `${PASSES} list passes`,
      async () => {
        const lists = (await sim.calls()).filter(([m, route]) => m === 'GET' && route === '/api/v2/workspaces').length;
        return lists >= PASSES * pageReads ? true : undefined;
      },
      (PASSES + 2) * RESYNC_S * 1000,
    );
    // The last pass's plan runs after its final page: give it a moment to finish.
    await sleep(1500);
    const cpuMs = procCpuMs(child.pid!) - cpu0;
    const calls = summarize(await sim.calls());
    result.wallMs = Date.now() - t0;
    result.cpuMs = cpuMs;
    result.peakRssMb = procRssMb(child.pid!).peak;
    Object.assign(result, { reads: calls.reads, writes: calls.writes, byRoute: calls.byRoute });
    result.extra = {
      passes: PASSES,
      readsPerPass: calls.reads / PASSES,
      cpuPerPassMs: Math.round(cpuMs / PASSES),
      resyncSeconds: RESYNC_S,
    };
    result.notes.push(`CPU over ${PASSES} resync passes of the same commit, including the 1 s git fetch ticks between them`);
    result.ok = calls.writes === 0 && child.exitCode === null;
  } catch (error) {
    result.notes.push(`${String(error)}; stderr: ${stderr.slice(-400)}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((done) => (child.exitCode !== null ? done(undefined) : child.once('exit', done)));
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  }
  return result;
}
