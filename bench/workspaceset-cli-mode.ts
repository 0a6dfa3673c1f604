// A WorkspaceSet of N members through the CLI (issue 21, Scale; the
// operator's is bench/workspaceset-mode.ts): the simulator holds N users
// (dev0 …) and, for the first `existing` of them, the workspace the set
// stamps (`fleet-<user>`, TTL 8 h). One set over a `users` query.
//   - cold adopt: `apply` of the set where every member's workspace exists:
//     the same reads and writes as N hand-written Workspaces (0 writes), plus
//     ceil(members / page size) user list reads;
//   - idle refresh: `apply` again: only list reads, 0 writes;
//   - creates: 1,000 members without a workspace join: 1,000 creates;
//   - plan: `plan` of the set (text output);
//   - plan (createOnly): the same set under syncPolicy createOnly, where every
//     member's child is unchanged and declared as it is (the expansion looks up
//     each one's member: once linear per child, quadratic in N).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScenarioResult } from './cli-mode.ts';
import { cliRunResult } from './cli-run-result.ts';
import { runMeasuredCli, startSim, summarize, type Measured } from './lib.ts';

const JOINING = 1000;

function setDoc(syncPolicy: 'createUpdate' | 'createOnly' = 'createUpdate'): string {
  return `${JSON.stringify({
    apiVersion: 'coderops.dev/v1alpha1',
    kind: 'WorkspaceSet',
    metadata: { name: 'fleet', namespace: 'bench' },
    spec: {
      generators: [{ users: { query: 'status:active', exclude: ['admin'] } }],
      // Children fleet-<user>, named so in Coder too (spec.name defaults to metadata.name).
      template: { spec: { template: 'docker', ttl: '8h' } },
      // The bench's own sets never shrink; a real one keeps the default.
      maxRemovals: 10,
      syncPolicy,
    },
  })}\n`;
}

export async function runWorkspaceSetCliMode(n: number, log: (s: string) => void): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'cwo-bench-set-'));
  await writeFile(join(dir, 'set.yaml'), setDoc());
  const row = (scenario: string, m: Measured, calls: ReturnType<typeof summarize>, ok: boolean, extra: ScenarioResult['extra']) => {
    const r = cliRunResult(scenario, n, m, calls, ok, extra);
    if (!ok) r.notes.push(`exit ${m.code}: ${m.stderrTail.slice(-400)} ${m.stdoutTail.slice(-400)}`);
    results.push(r);
  };
  const userPages = (calls: ReturnType<typeof summarize>) => calls.byRoute['GET /api/v2/users'] ?? 0;
  try {
    log(`workspaceset: ${n} users, each with the workspace the set stamps`);
    let sim = await startSim({ n, owners: n, latencyMs: 0, existing: n, buildDurationMs: 200, setName: 'fleet' });
    try {
      const env = { CODER_URL: sim.url, CODER_SESSION_TOKEN: sim.token };
      const cli = (args: string[]) => runMeasuredCli(args, { cwd: dir, env });
      await sim.reset();
      const adopt = await cli(['apply', '-f', 'set.yaml']);
      let calls = summarize(await sim.calls());
      row(
        'set: cold adopt (apply)',
        adopt,
        calls,
        adopt.code === 0 && calls.writes === 0 && adopt.stdoutTail.includes(`set bench/fleet: ${n} members`),
        {
          userListReads: userPages(calls),
        },
      );
      await sim.reset();
      const idle = await cli(['apply', '-f', 'set.yaml']);
      calls = summarize(await sim.calls());
      row('set: idle refresh (apply)', idle, calls, idle.code === 0 && calls.writes === 0, { userListReads: userPages(calls) });
      await sim.reset();
      const plan = await cli(['plan', '-f', 'set.yaml']);
      calls = summarize(await sim.calls());
      row('set: plan', plan, calls, plan.code === 0 && calls.writes === 0, { userListReads: userPages(calls) });
      // The same file (the state records which file declares each child), under createOnly for this plan only.
      await writeFile(join(dir, 'set.yaml'), setDoc('createOnly'));
      await sim.reset();
      const createOnly = await cli(['plan', '-f', 'set.yaml']);
      await writeFile(join(dir, 'set.yaml'), setDoc());
      calls = summarize(await sim.calls());
      row('set (createOnly): plan', createOnly, calls, createOnly.code === 0 && calls.writes === 0, {
        userListReads: userPages(calls),
      });
    } finally {
      await sim.close();
    }

    log(`workspaceset: ${n} users, ${JOINING} of them without a workspace yet`);
    await rm(join(dir, '.cwo-state.json'), { force: true });
    sim = await startSim({ n, owners: n, latencyMs: 0, existing: n - JOINING, buildDurationMs: 200, setName: 'fleet' });
    try {
      const env = { CODER_URL: sim.url, CODER_SESSION_TOKEN: sim.token };
      await sim.reset();
      const joined = await runMeasuredCli(['apply', '-f', 'set.yaml'], { cwd: dir, env });
      const calls = summarize(await sim.calls());
      const creates = calls.byRoute['POST /api/v2/users/{user}/workspaces'] ?? 0;
      row(`set: ${JOINING} members join (apply)`, joined, calls, joined.code === 0 && creates === JOINING, {
        creates,
        userListReads: userPages(calls),
        census: JSON.stringify(await sim.census()),
      });
    } finally {
      await sim.close();
    }
    return results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
