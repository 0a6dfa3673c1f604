// CLI-mode scenarios over one simulator seeded with N matching workspaces:
// cold adopt → idle (second apply) → plan → burst (1,000 TTL changes) → creates (1,000 new).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { multiDoc, workspaceDoc } from './fixtures.ts';
import { percentile, runMeasuredCli, startSim, summarize, type Measured } from './lib.ts';

export interface ScenarioResult {
  mode: 'cli' | 'operator' | 'peers' | 'shards' | 'properties' | 'peer-k8s';
  scenario: string;
  n: number;
  latencyMs: number;
  ok: boolean;
  // The measures: absent or undefined when the scenario did not take it (a run that never got Ready has no wall time).
  wallMs?: number | undefined;
  cpuMs?: number | undefined;
  peakRssMb?: number | undefined;
  reads?: number | undefined;
  writes?: number | undefined;
  byRoute?: Record<string, number>;
  extra: Record<string, number | string | boolean>;
  notes: string[];
}

export const OWNERS = 500;
const BURST = 1000;
const CREATES = 1000;

function docs(n: number, ttlFor: (i: number) => string, from = 0): string {
  const out: object[] = [];
  for (let i = from; i < n; i += 1) out.push(workspaceDoc(i, OWNERS, ttlFor(i)));
  return multiDoc(out);
}

export async function runCliMode(
  n: number,
  latencyMs: number,
  scenarios: Set<string>,
  log: (s: string) => void,
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  const sim = await startSim({ n, owners: OWNERS, latencyMs, existing: n, buildDurationMs: 200 });
  const dir = await mkdtemp(join(tmpdir(), 'cwo-bench-'));
  const env = { CODER_URL: sim.url, CODER_SESSION_TOKEN: sim.token };
  const cli = (args: string[]) => runMeasuredCli(args, { cwd: dir, env });
  const base = (scenario: string, m: Measured, ok: boolean): ScenarioResult => ({
    mode: 'cli',
    scenario,
    n,
    latencyMs,
    ok,
    wallMs: m.wallMs,
    cpuMs: m.cpuMs,
    peakRssMb: m.maxRssMb,
    extra: { exitCode: m.code },
    notes: [],
  });
  const failNote = (r: ScenarioResult, m: Measured) => {
    if (m.code !== 0) r.notes.push(`exit ${m.code}: ${m.stderrTail.slice(-400) || m.stdoutTail.slice(-400)}`);
  };
  try {
    const file = join(dir, 'workspaces.yaml');
    await writeFile(
      file,
      docs(n, () => '8h'),
    );
    const apply = ['apply', '-f', file, '--state', join(dir, 'state.json'), '-o', 'json'];

    // cold adopt: everything exists and matches, the state is empty.
    await sim.reset();
    log(`cli n=${n} latency=${latencyMs}: cold-adopt`);
    const cold = await cli(apply);
    const coldCalls = summarize(await sim.calls());
    if (scenarios.has('cold-adopt')) {
      const r = base('cold-adopt', cold, cold.code === 0 && coldCalls.writes === 0);
      Object.assign(r, { reads: coldCalls.reads, writes: coldCalls.writes, byRoute: coldCalls.byRoute });
      failNote(r, cold);
      results.push(r);
    }

    // idle: the same apply again, nothing changed.
    if (scenarios.has('idle')) {
      await sim.reset();
      log(`cli n=${n} latency=${latencyMs}: idle`);
      const idle = await cli(apply);
      const c = summarize(await sim.calls());
      const r = base('idle', idle, idle.code === 0 && c.writes === 0);
      Object.assign(r, { reads: c.reads, writes: c.writes, byRoute: c.byRoute });
      failNote(r, idle);
      results.push(r);
    }

    // plan over the N in-sync documents: exit 0 expected.
    if (scenarios.has('plan')) {
      await sim.reset();
      log(`cli n=${n} latency=${latencyMs}: plan`);
      const plan = await cli(['plan', '-f', file, '--state', join(dir, 'state.json'), '-o', 'json']);
      const c = summarize(await sim.calls());
      const r = base('plan', plan, plan.code === 0 && c.writes === 0);
      Object.assign(r, { reads: c.reads, writes: c.writes, byRoute: c.byRoute });
      failNote(r, plan);
      results.push(r);
    }

    // burst: the first 1,000 specs change TTL at once; one apply converges them.
    if (scenarios.has('burst')) {
      const changed = Math.min(BURST, n);
      await writeFile(
        file,
        docs(n, (i) => (i < changed ? '4h' : '8h')),
      );
      await sim.reset();
      log(`cli n=${n} latency=${latencyMs}: burst`);
      const burst = await cli(apply);
      const calls = await sim.calls();
      const c = summarize(calls);
      const ttlWrites = calls.filter(([m, route]) => m === 'PUT' && route.endsWith('/ttl'));
      const delays = ttlWrites.map(([, , , at]) => at - burst.startedAt);
      const distinct = new Set(ttlWrites.map((w) => w[4])).size;
      const r = base('burst', burst, burst.code === 0 && c.writes === changed && distinct === changed);
      Object.assign(r, { reads: c.reads, writes: c.writes, byRoute: c.byRoute });
      Object.assign(r.extra, {
        changed,
        ttlWrites: ttlWrites.length,
        distinctWorkspacesWritten: distinct,
        p50ChangeToWriteMs: percentile(delays, 50),
        p99ChangeToWriteMs: percentile(delays, 99),
        lastWriteMs: percentile(delays, 100),
      });
      r.notes.push('change time = the moment apply is started on the edited files');
      failNote(r, burst);
      results.push(r);
    }

    // creates: 1,000 declarations that do not exist yet (same owners).
    if (scenarios.has('creates')) {
      await writeFile(
        file,
        docs(n + CREATES, (i) => (i < Math.min(BURST, n) && scenarios.has('burst') ? '4h' : '8h')),
      );
      const before = await sim.census();
      await sim.reset();
      log(`cli n=${n} latency=${latencyMs}: creates`);
      const creates = await cli(apply);
      const calls = await sim.calls();
      const c = summarize(calls);
      const after = await sim.census();
      const posts = calls.filter(([m, route]) => m === 'POST' && /\/workspaces$/.test(route));
      const r = base('creates', creates, creates.code === 0 && after.duplicates === 0 && after.workspaces - before.workspaces === CREATES);
      Object.assign(r, { reads: c.reads, writes: c.writes, byRoute: c.byRoute });
      Object.assign(r.extra, {
        created: after.workspaces - before.workspaces,
        createPosts: posts.length,
        duplicates: after.duplicates,
        callsPerCreate: Number((c.total / CREATES).toFixed(2)),
        readsPerCreate: Number((c.reads / CREATES).toFixed(2)),
      });
      failNote(r, creates);
      results.push(r);
    }
  } finally {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}
