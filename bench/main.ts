// npm run bench [-- --n 1000,10000 --latency 0,20
//   --scenarios cold-adopt,idle,burst,creates,plan,sync-idle,rss
//   --mode cli,operator,peers,rollout-peers,polling,plan-scale --out bench/results]
// npm run bench -- --mode properties [--property-runs 100000]   (issue 18: the prune and identity
//   invariants over generated sequences; not in the default modes; writes bench/results/properties/)
// npm run bench -- --mode workspaceset-cli [--set-cli-n 10000]   (issue 21 Scale: one WorkspaceSet of N members via
//   the CLI, bench/workspaceset-cli-mode.ts; not in the default modes; --out bench/results/workspaceset-cli)
// npm run bench -- --mode shards --shard-n 40000 --shards 4   (issue 14 item 4; not in the default
//   modes: not timed at 40,000, likely well over 10 min; bench/shards-mode.ts says what it measures)
// npm run bench -- --mode export [--export-n 10000]   (issue 21 item 5: cwo export, bench/export-mode.ts)
// npm run bench -- --mode peer-k8s [--peer-k8s-n 1000 --peer-k8s-start-stop 40 --peer-k8s-gets 20]
//   (issue 24 item 4: coder-k8s beside the operator, bench/peer-k8s-mode.ts; not in the default modes;
//   needs bash test/peer/build-coder-k8s.sh; run alone it writes bench/results/peer-k8s/ and its
//   section of bench/results/latest.md)
// npm run bench -- --mode workspaceset [--set-n 10000]   (issue 21: one WorkspaceSet of N members, bench/workspaceset-mode.ts)
// Runs the scale scenarios of issue 6 against the Coder simulator on
// 127.0.0.1 (in a child process of its own) and writes latest.md + latest.json;
// and issue 14's peers side by side: the coder CLI against cwo on a real
// coderd (peers), per-resource polling against list resync (polling), and
// `plan` over 100,000 documents (plan-scale); N Workspaces over S operator
// shards on the real control plane (shards); and issue 19's rollout of a
// promoted version, a `coder update` loop against one `cwo apply` (rollout-peers).
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runCliMode, type ScenarioResult } from './cli-mode.ts';
import { runOperatorMode } from './operator-mode.ts';
import { runSyncIdle } from './sync-mode.ts';
import { runCoderdPeers } from './coderd-peer-mode.ts';
import { runCoderdRolloutPeers } from './coderd-rollout-peer-mode.ts';
import { operatorResyncRows, runPollingComparison } from './polling-mode.ts';
import { runPlanScale } from './plan-scale-mode.ts';
import { runWorkspaceSetCliMode } from './workspaceset-cli-mode.ts';
import { runShardsMode } from './shards-mode.ts';
import { runExportMode } from './export-mode.ts';
import { runWorkspaceSetMode } from './workspaceset-mode.ts';
import { DEFAULT_PROPERTY_SEED, runPropertiesMode } from './properties-mode.ts';
import { runPeerK8s } from './peer-k8s-mode.ts';
import { renderPeerK8s, spliceSection } from './peer-k8s-report.ts';
import { renderMarkdown } from './report.ts';
import { ROOT, run } from './lib.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '1000,10000' },
    latency: { type: 'string', default: '0,20' },
    scenarios: { type: 'string', default: 'cold-adopt,idle,burst,creates,plan,sync-idle,rss' },
    mode: { type: 'string', default: 'cli,operator,peers,rollout-peers,polling,plan-scale' },
    /** Workspaces each client creates and changes on the real coderd (mode peers). */
    'peer-n': { type: 'string', default: '40' },
    /** Running workspaces each side moves to a promoted version on the real coderd (mode rollout-peers). */
    'rollout-peer-n': { type: 'string', default: '50' },
    'polling-n': { type: 'string', default: '1000,10000' },
    'plan-docs': { type: 'string', default: '100000' },
    /** Mode export: workspaces in the simulator that `cwo export` writes out. */
    'export-n': { type: 'string', default: '10000' },
    /** Mode workspaceset: members of the one WorkspaceSet (and so its children). */
    'set-n': { type: 'string', default: '10000' },
    'operator-n': { type: 'string' },
    'operator-deadline': { type: 'string', default: '420' },
    resync: { type: 'string', default: '30s' },
    /** Extra node flags for the operator child, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p" (profiles are written when it exits). */
    'operator-node-args': { type: 'string' },
    /** Mode shards: total Workspaces, shard processes, and seconds from the start of the apply to wait for all Ready. */
    'shard-n': { type: 'string', default: '40000' },
    shards: { type: 'string', default: '4' },
    'shard-deadline': { type: 'string', default: '3600' },
    /** Mode properties: generated sequences, and the seed (a failure names seed and path to replay). */
    'property-runs': { type: 'string', default: '100000' },
    'property-seed': { type: 'string' },
    /** Mode peer-k8s: workspaces both list, workspaces each side stops and starts, kubectl get runs per side. */
    'peer-k8s-n': { type: 'string', default: '1000' },
    'peer-k8s-start-stop': { type: 'string', default: '40' },
    'peer-k8s-gets': { type: 'string', default: '20' },
    /** Mode workspaceset-cli: members of the one set the CLI expands (users in the simulator). */
    'set-cli-n': { type: 'string', default: '10000' },
    out: { type: 'string' },
  },
});

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const ns = list(values.n).map(Number);
const latencies = list(values.latency).map(Number);
const scenarios = new Set(list(values.scenarios));
const modes = new Set(list(values.mode));
const operatorNs = values['operator-n'] ? list(values['operator-n']).map(Number) : ns;
// The property run alone writes beside the scale results, not over them.
// So does the peer-k8s run alone (its section is then put into latest.md, see the end).
const alone = (mode: string) => modes.size === 1 && modes.has(mode);
const outPath =
  values.out ?? (alone('properties') ? 'bench/results/properties' : alone('peer-k8s') ? 'bench/results/peer-k8s' : 'bench/results');
const started = new Date();
const loadAtStart = loadavg()[0]!;
const log = (s: string) => process.stderr.write(`[bench ${((Date.now() - started.getTime()) / 1000).toFixed(0)}s] ${s}\n`);

if ([...modes].some((m) => m !== 'properties')) {
  log('building dist/ (tsc -p tsconfig.build.json): the bench measures the compiled CLI and operator');
  const build = await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')]);
  if (build.code !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
}

const results: ScenarioResult[] = [];
const outDir = resolve(ROOT, outPath);
await mkdir(outDir, { recursive: true });
const commit = await new Promise<string>((done) =>
  execFile('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }, (_e, out) => done(String(out).trim() || 'unknown')),
);
const machine = {
  commit,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGb: Number((totalmem() / 2 ** 30).toFixed(1)),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
};
const save = async (finished: boolean) => {
  const doc = {
    startedAt: started.toISOString(),
    finished,
    wallSeconds: (Date.now() - started.getTime()) / 1000,
    machine,
    load: { atStart: loadAtStart, atEnd: loadavg()[0]! },
    options: values,
    results,
  };
  await writeFile(join(outDir, 'latest.json'), `${JSON.stringify(doc, null, 2)}\n`);
  await writeFile(join(outDir, 'latest.md'), renderMarkdown(doc));
};

if (modes.has('cli')) {
  for (const latency of latencies) {
    for (const n of ns) {
      try {
        results.push(...(await runCliMode(n, latency, scenarios, log)));
      } catch (error) {
        results.push({ mode: 'cli', scenario: 'setup', n, latencyMs: latency, ok: false, extra: {}, notes: [String(error)] });
      }
      await save(false);
    }
  }
  // The long-running CLI's idle resync, once per N (no added latency).
  if (scenarios.has('sync-idle')) {
    for (const n of ns) {
      results.push(await runSyncIdle(n, log));
      await save(false);
    }
  }
}
if (modes.has('operator')) {
  for (const n of operatorNs) {
    try {
      results.push(
        ...(await runOperatorMode(
          n,
          scenarios,
          {
            resync: values.resync,
            deadlineS: Number(values['operator-deadline']),
            nodeArgs: values['operator-node-args']?.split(' ').filter(Boolean) ?? [],
          },
          log,
        )),
      );
    } catch (error) {
      results.push({
        mode: 'operator',
        scenario: 'setup',
        n,
        latencyMs: 0,
        ok: false,
        extra: {},
        notes: [String((error as Error).stack ?? error)],
      });
    }
    await save(false);
  }
}
// Each part on its own: one that cannot start (no coderd built, no netns) is a failed row, not a lost run.
const part = async (mode: string, n: number, body: () => Promise<ScenarioResult[]>) => {
  try {
    results.push(...(await body()));
  } catch (error) {
    results.push({
      mode: 'peers',
      scenario: `${mode} setup`,
      n,
      latencyMs: 0,
      ok: false,
      extra: {},
      notes: [String((error as Error).stack ?? error)],
    });
  }
  await save(false);
};
if (modes.has('peers')) for (const n of list(values['peer-n']).map(Number)) await part('peers', n, () => runCoderdPeers(n, log));
if (modes.has('rollout-peers'))
  for (const n of list(values['rollout-peer-n']).map(Number)) await part('rollout-peers', n, () => runCoderdRolloutPeers(n, log));
if (modes.has('polling')) {
  for (const n of list(values['polling-n']).map(Number)) await part('polling', n, () => runPollingComparison(n, log));
  results.push(...operatorResyncRows(results));
}
if (modes.has('shards')) {
  const shards = { shards: Number(values.shards), resync: values.resync, deadlineS: Number(values['shard-deadline']) };
  for (const n of list(values['shard-n']).map(Number)) {
    try {
      results.push(...(await runShardsMode(n, shards, log)));
    } catch (error) {
      const notes = [String((error as Error).stack ?? error)];
      results.push({ mode: 'shards', scenario: 'setup', n, latencyMs: 0, ok: false, extra: {}, notes });
    }
    await save(false);
  }
}
if (modes.has('plan-scale')) for (const n of list(values['plan-docs']).map(Number)) await part('plan-scale', n, () => runPlanScale(n, log));
if (modes.has('export')) for (const n of list(values['export-n']).map(Number)) await part('export', n, () => runExportMode(n, log));
if (modes.has('peer-k8s')) {
  const opts = { n: Number(values['peer-k8s-n']), startStop: Number(values['peer-k8s-start-stop']), gets: Number(values['peer-k8s-gets']) };
  await part('peer-k8s', opts.n, () => runPeerK8s(opts, log));
}
if (modes.has('workspaceset'))
  for (const n of list(values['set-n']).map(Number))
    await part('workspaceset', n, () => runWorkspaceSetMode(n, { deadlineS: Number(values['operator-deadline']) }, log));
if (modes.has('properties')) {
  const seed = values['property-seed'] !== undefined ? Number(values['property-seed']) : DEFAULT_PROPERTY_SEED;
  results.push(...(await runPropertiesMode(Number(values['property-runs']), seed, log)));
}
if (modes.has('workspaceset-cli'))
  for (const n of list(values['set-cli-n']).map(Number)) await part('workspaceset-cli', n, () => runWorkspaceSetCliMode(n, log));
await save(true);
log(`wrote ${join(outPath, 'latest.md')} and latest.json`);
if (alone('peer-k8s') && values.out === undefined) {
  const latest = resolve(ROOT, 'bench/results/latest.md');
  const when = `${started.toISOString()} · commit ${commit} · load average (1 min) ${loadAtStart.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at the end, on ${cpus().length} CPUs · \`npm run bench -- --mode peer-k8s\``;
  await writeFile(latest, spliceSection(await readFile(latest, 'utf8'), renderPeerK8s(results, when)));
  log(`put the peer-k8s section into ${latest}`);
}
process.stdout.write(
  renderMarkdown({
    startedAt: started.toISOString(),
    finished: true,
    wallSeconds: (Date.now() - started.getTime()) / 1000,
    machine,
    load: { atStart: loadAtStart, atEnd: loadavg()[0]! },
    options: values,
    results,
  }),
);
