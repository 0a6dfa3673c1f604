// `cwo export` at scale (issue 21 item 5, target: 10,000 workspaces in under
// 10 s and 300 MB): the compiled CLI against the simulator seeded with N
// workspaces over 500 owners (TTL 8 h, three in four with an autostart
// schedule in one of three zones, as a real fleet has), as one stream on
// stdout and as one file per owner; then `plan --no-state` on the files, which must find nothing to
// change (the round trip, exit 0, no write); then the opt-in --parameters,
// whose cost is one read per workspace, measured but not held to the target.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OWNERS, type ScenarioResult } from './cli-mode.ts';
import { cliRunResult } from './cli-run-result.ts';
import { runMeasuredCli, startSim, summarize, type Measured } from './lib.ts';

const TARGET_WALL_S = 10;
const TARGET_RSS_MB = 300;

export async function runExportMode(n: number, log: (s: string) => void): Promise<ScenarioResult[]> {
  log(`export: seeding the simulator with ${n} workspaces over ${OWNERS} owners, three in four with an autostart schedule`);
  const sim = await startSim({ n, owners: OWNERS, latencyMs: 0, existing: n, buildDurationMs: 200, schedules: true });
  const dir = await mkdtemp(join(tmpdir(), 'cwo-bench-export-'));
  const env = { CODER_URL: sim.url, CODER_SESSION_TOKEN: sim.token };
  const results: ScenarioResult[] = [];
  const row = async (scenario: string, m: Measured, ok: boolean, extra: ScenarioResult['extra'], targets: boolean) => {
    const calls = summarize(await sim.calls());
    const r = cliRunResult(scenario, n, m, calls, ok, {
      ...extra,
      ...(targets ? { targetWallS: TARGET_WALL_S, targetRssMb: TARGET_RSS_MB } : {}),
    });
    if (!ok) r.notes.push(`exit ${m.code}: ${m.stderrTail.slice(-400)}`);
    results.push(r);
    return calls;
  };
  const withinTargets = (m: Measured) => m.wallMs / 1000 < TARGET_WALL_S && m.maxRssMb < TARGET_RSS_MB;
  try {
    const cli = (args: string[]) => runMeasuredCli(args, { cwd: dir, env });

    await sim.reset();
    log(`export: cwo export (one stream on stdout) of ${n}`);
    const stream = await cli(['export']);
    const streamOk = stream.code === 0 && stream.stderrTail.includes(`exported ${n} of ${n}`);
    const s = await row('export → stdout', stream, streamOk && withinTargets(stream), {}, true);
    if (s.writes !== 0) results.at(-1)!.ok = false;

    await sim.reset();
    log(`export: cwo export --out-dir (one file per owner) of ${n}`);
    const files = await cli(['export', '--out-dir', 'fleet']);
    const written = (await readdir(join(dir, 'fleet'))).length;
    await row(
      'export --out-dir',
      files,
      files.code === 0 && written === Math.min(n, OWNERS) && withinTargets(files),
      { files: written },
      true,
    );

    await sim.reset();
    log('export: cwo plan --no-state on the exported files (the round trip)');
    const plan = await cli(['plan', '-f', 'fleet', '--no-state']);
    const p = await row('plan on the export (round trip)', plan, plan.code === 0, {}, false);
    if (p.writes !== 0) results.at(-1)!.ok = false;

    await sim.reset();
    log(`export: cwo export --parameters of ${n} (one read per workspace)`);
    const params = await cli(['export', '--parameters', '--out-dir', 'with-parameters']);
    await row('export --parameters (opt-in)', params, params.code === 0, {}, false);
    return results;
  } finally {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  }
}
