// A rollout side by side on a real coderd (issue 19 item 8): N running
// workspaces moved to a newly promoted template version
//   - by a script as platform teams run one today: `coder update <owner>/<name>`
//     for one workspace after the other (it stops the workspace, starts it on
//     the active version and follows both builds to their end);
//   - by one `cwo apply --max-unavailable 10` of declarations with
//     `version: {policy: Active}` and `running: true`.
// Each side has N workspaces of its own (cli-*, cwo-*), created running on
// v1 before the clock starts. Measured: wall time until every workspace runs
// on the new version, the Coder calls (the tier's recording proxy), the
// builds per workspace, and that every workspace ended running on v2. Same
// tier as coderd-peer-mode.ts: coderd, PostgreSQL and both clients in a
// loopback-only network namespace; nothing leaves the machine.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTemplate, createTemplateVersion } from '../test/coderd/bootstrap.ts';
import type { RecordingProxy } from '../test/coderd/recording-proxy.ts';
import type { ScenarioResult } from './cli-mode.ts';
import { loop, runIn } from './coderd-peer-mode.ts';
import { builtCoderd, peerRow, settledWorkspaces, startPeerCoderd } from './coderd-peer-runs.ts';
import { runMeasuredCli } from './lib.ts';
import { ratio } from './peers.ts';

const OWNERS = 5;
const TEMPLATE = 'docker';
const MAX_UNAVAILABLE = 10;
const PROXY_INNER_PORT = 3901;
const owner = (i: number) => `roll${i % OWNERS}`;
/** How long, and how often, to wait for a fleet's builds to end. */
const SETTLE = { timeoutMs: 600_000, everyMs: 500 };

/** One row, with the builds the rollout made. */
function row(scenario: string, n: number, wallMs: number, proxy: RecordingProxy, ok: boolean): ScenarioResult {
  return peerRow(scenario, n, wallMs, proxy, ok, (t) => {
    const builds = t.byRoute['POST /api/v2/workspaces/{id}/builds'] ?? 0;
    return { builds, buildsPerWorkspace: builds / n, callsPerWorkspace: Math.round((t.total / n) * 10) / 10 };
  });
}

interface LiveWorkspace {
  id: string;
  name: string;
  latest_build: { status: string; transition: string; template_version_id: string };
}

function declarations(prefix: string, n: number): string {
  const docs = [];
  for (let i = 0; i < n; i += 1)
    docs.push(
      JSON.stringify({
        apiVersion: 'coderops.dev/v1alpha1',
        kind: 'Workspace',
        metadata: { name: `${prefix}${i}`, namespace: 'rollout' },
        spec: { owner: owner(i), template: TEMPLATE, running: true, version: { policy: 'Active' } },
      }),
    );
  return `${docs.join('\n---\n')}\n`;
}

const onVersion = (ws: LiveWorkspace[], version: string) =>
  ws.filter(
    (w) => w.latest_build.template_version_id === version && w.latest_build.transition === 'start' && w.latest_build.status === 'running',
  ).length;

export async function runCoderdRolloutPeers(n: number, log: (s: string) => void): Promise<ScenarioResult[]> {
  const { version, bin } = builtCoderd();
  const results: ScenarioResult[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'cwo-bench-rollout-'));
  await chmod(dir, 0o755); // PostgreSQL runs as its own user and must reach its directory below this one
  const stops: (() => Promise<void>)[] = [];
  try {
    const peer = await startPeerCoderd({
      label: 'rollout-peers',
      version,
      dir,
      database: 'coder_rollout',
      users: Array.from({ length: OWNERS }, (_, o) => owner(o)),
      proxyInnerPort: PROXY_INNER_PORT,
      stops,
      log,
    });
    const { netns, bootstrap: b, proxy, home, env } = peer;
    const template = await createTemplate(b, bin.echotar, TEMPLATE, {}, { default_ttl_ms: 0 });
    const coder = (args: string[]) => runIn(netns, bin.coder, args, env);
    const cwo = (file: string, state: string, extra: string[] = []) =>
      runMeasuredCli(['apply', '-f', file, '--state', join(home, state), ...extra], { cwd: home, env, wrap: netns.exec });

    // Untimed setup: both fleets running on v1, created by cwo (each side's own file and state).
    const cliFile = join(home, 'cli.yaml');
    const cwoFile = join(home, 'cwo.yaml');
    await writeFile(cliFile, declarations('cli-', n));
    await writeFile(cwoFile, declarations('cwo-', n));
    log(`rollout-peers n=${n}: creating 2 × ${n} running workspaces on v1`);
    for (const [file, state] of [
      [cliFile, 'cli-state.json'],
      [cwoFile, 'cwo-state.json'],
    ] as const) {
      const created = await cwo(file, state, ['--concurrency', '8']);
      if (created.code !== 0) throw new Error(`setup apply failed (exit ${created.code}): ${created.stderrTail.slice(-400)}`);
    }
    await settledWorkspaces<LiveWorkspace>(b.admin, 'cli-', n, SETTLE);
    await settledWorkspaces<LiveWorkspace>(b.admin, 'cwo-', n, SETTLE);
    await coder(['whoami']); // coderd's first-request warm-up, untimed

    const v2 = await createTemplateVersion(b, bin.echotar, {}, { templateId: template.id, name: 'v2' });
    await b.admin.request('PATCH', `/api/v2/templates/${template.id}/versions`, { id: v2.id });
    log(`rollout-peers n=${n}: v2 promoted; coder update × ${n}, one after another`);

    proxy.reset();
    const cliRun = await loop(n, (i) => coder(['update', `${owner(i)}/cli-${i}`]));
    const cliAfter = await settledWorkspaces<LiveWorkspace>(b.admin, 'cli-', n, SETTLE);
    const cliRow = row('rollout: coder CLI loop', n, cliRun.wallMs, proxy, cliRun.failures.length === 0);
    cliRow.notes.push(...cliRun.failures, '`coder update <owner>/<name>` per workspace, sequentially');
    cliRow.extra.onNewVersion = onVersion(cliAfter, v2.id);
    cliRow.ok &&= cliRow.extra.onNewVersion === n;

    log(`rollout-peers n=${n}: one cwo apply --max-unavailable ${MAX_UNAVAILABLE}`);
    proxy.reset();
    const cwoRun = await cwo(cwoFile, 'cwo-state.json', ['--max-unavailable', String(MAX_UNAVAILABLE)]);
    const cwoAfter = await settledWorkspaces<LiveWorkspace>(b.admin, 'cwo-', n, SETTLE);
    const cwoRow = row('rollout: one cwo apply', n, cwoRun.wallMs, proxy, cwoRun.code === 0);
    if (cwoRun.code !== 0) cwoRow.notes.push(`exit ${cwoRun.code}: ${cwoRun.stderrTail.slice(-400)}`);
    cwoRow.notes.push(`\`cwo apply --max-unavailable ${MAX_UNAVAILABLE}\` of ${n} declarations with version: {policy: Active}`);
    Object.assign(cwoRow, { cpuMs: cwoRun.cpuMs, peakRssMb: cwoRun.maxRssMb });
    Object.assign(cwoRow.extra, {
      onNewVersion: onVersion(cwoAfter, v2.id),
      wallRatio: ratio(cliRun.wallMs, cwoRun.wallMs),
      callRatio: ratio(cliRow.reads! + cliRow.writes!, cwoRow.reads! + cwoRow.writes!),
    });
    cwoRow.ok &&= cwoRow.extra.onNewVersion === n;
    results.push(cliRow, cwoRow);
    const links = await netns.links();
    for (const r of results) r.notes.push(`coderd ${version}; clients in netns ${netns.name} (links: ${links.join(', ')})`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch((e) => log(`rollout-peers teardown: ${e}`));
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}
