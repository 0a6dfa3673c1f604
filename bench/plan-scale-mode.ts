// `cwo plan` over 100,000 documents (issue 14, target < 20 s, < 1 GB): a
// directory of team files as a platform repo holds them (one file per team of
// 5,000, 2,000 owners), the simulator seeded with the deployment those files
// describe, mostly in sync: 1 % of the declarations change the TTL, 0.5 % do
// not exist yet. The real compiled CLI runs as a child; wall time around it,
// peak RSS and CPU from its own resource usage (bench/usage.ts).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ScenarioResult } from './cli-mode.ts';
import { workspaceDoc } from './fixtures.ts';
import { cliRunResult } from './cli-run-result.ts';
import { runMeasuredCli, startSim, summarize } from './lib.ts';

const OWNERS = 2000;
const PER_FILE = 5000;
const DRIFT_EVERY = 100; // 1 %: ttl 4h declared, 8h in Coder
const MISSING_EVERY = 200; // 0.5 %: declared, not in Coder yet
const TARGET_WALL_S = 20;
const TARGET_RSS_MB = 1024;

/**
 * ws-0 … ws-(existing-1) are in Coder, every DRIFT_EVERY-th of them declared
 * with another TTL; the last `missing` declarations are not in Coder.
 */
export function planScaleLayout(docs: number): { existing: number; drifted: number; missing: number } {
  const missing = Math.floor(docs / MISSING_EVERY);
  const existing = docs - missing;
  return { existing, drifted: Math.floor(existing / DRIFT_EVERY), missing };
}

export function declaredTtl(i: number, existing: number): string {
  return i < existing && i % DRIFT_EVERY === DRIFT_EVERY - 1 ? '4h' : '8h';
}

export async function runPlanScale(
  docs: number,
  log: (s: string) => void,
  opts: { outputs?: string[]; nodeArgs?: string[] } = {},
): Promise<ScenarioResult[]> {
  const outputs = opts.outputs ?? ['text'];
  const nodeArgs = opts.nodeArgs ?? [];
  const layout = planScaleLayout(docs);
  log(`plan-scale: seeding the simulator with ${layout.existing} workspaces over ${OWNERS} owners`);
  const sim = await startSim({ n: layout.existing, owners: OWNERS, latencyMs: 0, existing: layout.existing, buildDurationMs: 200 });
  const dir = await mkdtemp(join(tmpdir(), 'cwo-bench-plan-'));
  try {
    const repo = join(dir, 'workspaces');
    await mkdir(repo);
    let files = 0;
    for (let from = 0; from < docs; from += PER_FILE) {
      const objects: object[] = [];
      for (let i = from; i < Math.min(docs, from + PER_FILE); i += 1) {
        objects.push(workspaceDoc(i, OWNERS, declaredTtl(i, layout.existing), `team-${files}`));
      }
      // Block style, as people write these files (the other modes' fixtures are one JSON line each).
      await writeFile(join(repo, `team-${String(files).padStart(2, '0')}.yaml`), objects.map((o) => stringify(o)).join('---\n'));
      files += 1;
    }
    const env = { CODER_URL: sim.url, CODER_SESSION_TOKEN: sim.token, ...(nodeArgs.length ? { NODE_OPTIONS: nodeArgs.join(' ') } : {}) };
    const results: ScenarioResult[] = [];
    for (const output of outputs) {
      await sim.reset();
      log(`plan-scale: cwo plan -o ${output} over ${docs} documents in ${files} files`);
      const m = await runMeasuredCli(['plan', '-f', repo, '--state', join(dir, 'state.json'), '-o', output], { cwd: dir, env });
      const calls = summarize(await sim.calls());
      const wallS = m.wallMs / 1000;
      // Exit 2: plan found changes (the drift and the missing ones), as it must.
      const ok = m.code === 2 && calls.writes === 0 && wallS < TARGET_WALL_S && m.maxRssMb < TARGET_RSS_MB;
      const r = cliRunResult(`plan ${docs} docs -o ${output}`, docs, m, calls, ok, {
        files,
        owners: OWNERS,
        drifted: layout.drifted,
        missing: layout.missing,
        targetWallS: TARGET_WALL_S,
        targetRssMb: TARGET_RSS_MB,
      });
      if (m.code !== 2) r.notes.push(`exit ${m.code}: ${m.stderrTail.slice(-400) || m.stdoutTail.slice(-400)}`);
      else if (output === 'text') r.notes.push(`plan summary: ${m.stdoutTail.trim().split('\n').at(-1)}`);
      results.push(r);
    }
    return results;
  } finally {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  }
}
