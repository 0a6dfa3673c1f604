// Issue 14 item 4: N Workspaces over S shards on the real control plane (etcd +
// kube-apiserver from test/control-plane), the simulator for Coder.
//
//   npm run bench -- --mode shards --shard-n 40000 --shards 4   (the case; not timed yet)
//   npm run bench -- --mode shards --shard-n 400 --shards 4     (a smoke run: about 1.5 min)
//
// Not in the default --mode list: at 40,000 the apply alone should take minutes
// (operator mode applies 10,000 in about 42 s), then the adopt, the idle
// window (up to 3 resync periods + 60 s) and the set-up: likely well over 10 min.
// How it runs: the simulator is seeded with the N workspaces (a cold adopt, as
// operator mode's), S operator processes start first, shard i with
// --watch-label-selector coderops.dev/shard=shard<i> and a ServiceAccount and
// Lease of its own (Flux's convention; no main instance, every Workspace has a
// shard label), then the N Workspaces are applied, spread evenly (ws-k to
// shard k mod S). Measured:
//   - time from the start of the apply to all N Ready (kubectl poll), and the apply alone;
//   - per shard: CPU, peak RSS (VmHWM), Coder calls (its own /metrics), its
//     last Workspace write, and which Workspaces it wrote (the apiserver's audit
//     log, by ServiceAccount): none written by two shards or by the wrong one;
//   - an idle window holding one whole resync pass of every shard: Kubernetes
//     writes (the apiserver's own counter, must be 0) and Coder reads per pass;
//   - the apiserver's, etcd's and the simulator's own CPU and RSS, and the
//     machine's busy cores, so a result can say what the 2 cores went to.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDuration } from '../src/api/duration.ts';
import { SHARD_LABEL } from '../src/controller/shard.ts';
import { startControlPlane } from '../test/control-plane/control-plane.ts';
import { freePort } from '../test/control-plane/processes.ts';
import { OWNERS, type ScenarioResult } from './cli-mode.ts';
import { workspaceDoc, wsName } from './fixtures.ts';
import { startSim, summarize, type SimHandle } from './lib.ts';
import {
  applyInChunks,
  apiserverWrites,
  CHUNK,
  diffCounts,
  NS,
  OP_NS,
  pollReady,
  prepareCluster,
  sleep,
  spawnOperator,
  stopOperator,
  sum,
} from './operator-env.ts';
import { ProcSampler, usageBetween } from './proc-sampler.ts';
import { attribute, auditFlags, readWriters } from './shard-audit.ts';
import { coderCallsOf, readyByLabel, resyncLines, waitReadyz } from './shard-probes.ts';
import { shardRows, type IdlePass, type ShardProcess, type ShardRun } from './shards-report.ts';

export interface ShardsOptions {
  shards: number;
  resync: string;
  /** Seconds from the start of the apply to wait for all Ready. */
  deadlineS: number;
}

export async function runShardsMode(n: number, opts: ShardsOptions, log: (s: string) => void): Promise<ScenarioResult[]> {
  const names = Array.from({ length: opts.shards }, (_, i) => `shard${i}`);
  const shardOf = (i: number) => names[i % names.length]!;
  const say = (s: string) => log(`shards n=${n} s=${names.length}: ${s}`);
  // Each shard's ServiceAccount, as the audit log names the user.
  const userOf = (shard: string) => `system:serviceaccount:${OP_NS}:bench-${shard}`;
  say('starting control plane (audit log on) and simulator');
  const auditDir = await mkdtemp(join(tmpdir(), 'cwo-bench-audit-'));
  const cp = await startControlPlane({ apiserverArgs: await auditFlags(auditDir) });
  const sampler = new ProcSampler();
  sampler.track('apiserver', cp.pids.apiserver);
  sampler.track('etcd', cp.pids.etcd);
  sampler.start();
  let sim: SimHandle | undefined;
  const shards: ShardProcess[] = [];
  let stopping = false;
  // As the kubelet would: a shard that exits (a Lease lost on a busy apiserver) is started again.
  const start = (s: ShardProcess) => {
    const child = spawnOperator({
      kubeconfig: s.kubeconfig,
      name: `bench-${s.name}-${s.exits.length}`,
      leaseId: `bench-${s.name}`,
      resync: opts.resync,
      metricsPort: s.metricsPort,
      probesPort: s.probesPort,
      logFile: s.logFile,
      args: [`--watch-label-selector=${SHARD_LABEL}=${s.name}`],
    });
    s.child = child;
    sampler.track(s.name, child.pid!);
    child.once('exit', (code, signal) => {
      if (stopping) return;
      s.exits.push(`${new Date().toISOString()} exit ${code ?? signal}`);
      say(`${s.name} exited (${code ?? signal}); starting it again`);
      setTimeout(() => stopping || start(s), 1000);
    });
  };
  const reap = () => shards.forEach((s) => s.child?.kill('SIGKILL'));
  process.once('exit', reap);
  try {
    sim = await startSim({ n, owners: OWNERS, latencyMs: 0, existing: n, buildDurationMs: 200 });
    sampler.track('simulator', sim.child.pid!);
    const { kubectl, ok, kubeconfigs } = await prepareCluster(
      cp,
      sim,
      names.map((name) => `bench-${name}`),
    );
    for (const [i, name] of names.entries()) {
      const [metricsPort, probesPort] = [await freePort(), await freePort()];
      shards.push({
        name,
        user: userOf(name),
        kubeconfig: kubeconfigs[i]!,
        metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
        metricsPort,
        probesPort,
        logFile: join(cp.dir, `${name}.log`),
        exits: [],
      });
    }
    for (const s of shards) start(s);
    const ready = (s: ShardProcess) =>
      waitReadyz(s.probesPort, 180_000, () => s.exits.length > 0).catch(async (error: Error) => {
        throw new Error(`${s.name}: ${error.message}\n${(await readFile(s.logFile, 'utf8').catch(() => '')).slice(-2000)}`);
      });
    await Promise.all(shards.map(ready));
    say(`${names.length} shards ready; applying ${n} Workspaces in chunks of ${CHUNK}`);

    await sim.reset();
    const writesBefore = await apiserverWrites(ok);
    const coderBefore = await Promise.all(shards.map((s) => coderCallsOf(s.metricsUrl)));
    const snap0 = sampler.snapshot();
    const applyEpoch = Date.now();
    const t0 = performance.now();
    const applyMs = await applyInChunks(ok, n, (i) => {
      const doc = workspaceDoc(i, OWNERS, '8h', NS) as { metadata: Record<string, unknown> };
      doc.metadata.labels = { [SHARD_LABEL]: shardOf(i) };
      return doc;
    });
    say(`applied in ${(applyMs / 1000).toFixed(1)} s; waiting for all Ready`);
    const poll = await pollReady(kubectl, n, t0, opts.deadlineS, async () => {
      const looping = shards.find((s) => s.exits.length > 10);
      if (looping) throw new Error(`${looping.name} keeps exiting: ${looping.exits.slice(-3).join('; ')}`);
    });
    const snap1 = sampler.snapshot();
    say(`${poll.ready}/${n} Ready ${((performance.now() - t0) / 1000).toFixed(0)} s after the apply began`);
    const coldCalls = summarize(await sim.calls());
    const coldK8s = diffCounts(writesBefore, await apiserverWrites(ok));
    // The bench's own kubectl apply is the one APPLY here (the operator merge-patches): not a shard's write.
    const benchApplies = coldK8s['APPLY workspaces'] ?? 0;
    delete coldK8s['APPLY workspaces'];
    const census = await sim.census();
    const coderCold = await Promise.all(shards.map(async (s, i) => diffCounts(coderBefore[i]!, await coderCallsOf(s.metricsUrl))));
    const readyBy = await readyByLabel(kubectl, SHARD_LABEL);

    let idle: Awaited<ReturnType<typeof idleWindow>> | undefined;
    if (poll.readyMs !== undefined) {
      await sleep(3000); // the adoption's tail: status patches still in flight
      idle = await idleWindow(shards, parseDuration(opts.resync), sampler, sim, ok, say);
    }
    const writers = await readWriters(auditDir);
    const byName = Array.from({ length: n }, (_, i) => wsName(i));
    const attribution = attribute(writers, byName, (name) => userOf(shardOf(Number(name.slice('ws-'.length)))));
    const run: ShardRun = {
      n,
      shards,
      resync: opts.resync,
      deadlineS: opts.deadlineS,
      applyEpoch,
      applyMs,
      poll,
      cold: usageBetween(snap0, snap1),
      sampler,
      coldCalls,
      coldK8s,
      benchApplies,
      duplicates: census.duplicates,
      coderCold,
      readyBy,
      writers,
      attribution,
      resyncs: await Promise.all(shards.map((s) => resyncLines(s.logFile))),
      ...(idle ? { idle } : {}),
    };
    return shardRows(run);
  } finally {
    stopping = true;
    await Promise.all(shards.map((s) => stopOperator(s.child)));
    process.off('exit', reap);
    sampler.stop();
    await sim?.close();
    await cp.stop();
    await rm(auditDir, { recursive: true, force: true });
  }
}

/**
 * From now until every shard has logged two resyncs: between a shard's first
 * and second `resync` line lies exactly one whole pass of its own (the shards'
 * timers are not aligned, so one window for all could cut a pass in two).
 * Kubernetes writes and simulator calls are counted over the whole window.
 */
async function idleWindow(
  shards: ShardProcess[],
  resyncMs: number,
  sampler: ProcSampler,
  sim: SimHandle,
  ok: (args: string[]) => Promise<string>,
  say: (s: string) => void,
) {
  await sim.reset();
  const before = await apiserverWrites(ok);
  const snapA = sampler.snapshot();
  const since = Date.now();
  const cap = since + 3 * resyncMs + 60_000;
  say(`idle window: until each shard has run one whole resync pass (--resync ${resyncMs / 1000} s; at most ${(cap - since) / 1000} s)`);
  const passes: (IdlePass | undefined)[] = shards.map(() => undefined);
  const starts: ({ coder: Map<string, number>; cpuMs: number; at: number } | undefined)[] = shards.map(() => undefined);
  while (Date.now() < cap && passes.some((p) => p === undefined)) {
    for (const [i, s] of shards.entries()) {
      if (passes[i]) continue;
      const lines = (await resyncLines(s.logFile)).filter((l) => l.time > since);
      if (lines.length >= 1 && !starts[i])
        starts[i] = { coder: await coderCallsOf(s.metricsUrl), cpuMs: sampler.snapshot().cpuMs.get(s.name) ?? 0, at: lines[0]!.time };
      const first = starts[i];
      if (lines.length >= 2 && first) {
        const coder = diffCounts(first.coder, await coderCallsOf(s.metricsUrl));
        const cpuMs = (sampler.snapshot().cpuMs.get(s.name) ?? 0) - first.cpuMs;
        passes[i] = { coder, cpuMs, periodMs: lines[1]!.time - first.at, queued: lines[1]!.queued, workspaces: lines[1]!.workspaces };
      }
    }
    await sleep(500);
  }
  await sleep(2000); // what a pass queued (nothing, when idle) lands inside the window
  const k8s = diffCounts(before, await apiserverWrites(ok));
  const calls = summarize(await sim.calls());
  return { passes, k8s, k8sWrites: sum(k8s), calls, usage: usageBetween(snapA, sampler.snapshot()) };
}
