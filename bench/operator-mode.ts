// Operator-mode scenarios on a real control plane (etcd + kube-apiserver from
// test/control-plane), the operator as a child process with the chart's RBAC
// (a TokenRequest token of the chart's ServiceAccount), the simulator seeded
// with N matching workspaces:
//   cold-adopt: N Workspaces applied (server-side, chunks of 1,000), then the
//               operator started; time until all are Ready, its CPU, Coder calls.
//   idle:       one --resync window after that: Coder reads/writes, Kubernetes
//               writes by the operator (apiserver's own request counter), CPU.
//   rss:        the operator's peak RSS (VmHWM) over all of the above.
import type { ChildProcess } from 'node:child_process';
import { parseDuration } from '../src/api/duration.ts';
import { CODER_CLIENT_DEFAULTS } from '../src/coder/client.ts';
import { startControlPlane } from '../test/control-plane/control-plane.ts';
import type { ScenarioResult } from './cli-mode.ts';
import { OWNERS } from './cli-mode.ts';
import { workspaceDoc } from './fixtures.ts';
import { procCpuMs, procRssMb, startSim, summarize } from './lib.ts';
import {
  applyInChunks,
  apiserverWrites,
  CHUNK,
  diffCounts,
  heapFromMetrics,
  NS,
  pollReady,
  prepareCluster,
  progressSample,
  sleep,
  startMeasuredOperator,
  stopOperator,
  sum,
} from './operator-env.ts';

export async function runOperatorMode(
  n: number,
  scenarios: Set<string>,
  opts: { resync: string; deadlineS: number; nodeArgs?: string[] },
  log: (s: string) => void,
): Promise<ScenarioResult[]> {
  const wanted = ['cold-adopt', 'idle', 'rss'].filter((s) => scenarios.has(s));
  if (wanted.length === 0) return [];
  const results: ScenarioResult[] = [];
  log(`operator n=${n}: starting control plane`);
  const cp = await startControlPlane();
  const sim = await startSim({ n, owners: OWNERS, latencyMs: 0, existing: n, buildDurationMs: 200 });
  let operator: ChildProcess | undefined;
  try {
    const { kubectl, ok, kubeconfigs } = await prepareCluster(cp, sim);

    log(`operator n=${n}: applying ${n} Workspaces in chunks of ${CHUNK}`);
    const applyMs = await applyInChunks(ok, n, (i) => workspaceDoc(i, OWNERS, '8h', NS));
    log(`operator n=${n}: applied in ${(applyMs / 1000).toFixed(1)} s; starting the operator`);

    const run = await startMeasuredOperator(
      { dir: cp.dir, sim, ok },
      {
        kubeconfig: kubeconfigs[0]!,
        name: 'bench-op',
        leaseId: 'bench',
        resync: opts.resync,
        nodeArgs: opts.nodeArgs ?? [],
      },
    );
    operator = run.child;
    const { pid, t0, writesBefore, metricsPort } = run;

    const { ready, readyMs, progress, everyS } = await pollReady(kubectl, n, t0, opts.deadlineS, run.assertRunning);
    const coldCpu = procCpuMs(pid);
    const coldRss = procRssMb(pid);
    const coldCalls = summarize(await sim.calls());
    const coldK8s = diffCounts(writesBefore, await apiserverWrites(ok));
    const census = await sim.census();
    log(`operator n=${n}: ${ready}/${n} Ready after ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    if (scenarios.has('cold-adopt')) {
      results.push({
        mode: 'operator',
        scenario: 'cold-adopt',
        n,
        latencyMs: 0,
        ok: readyMs !== undefined && coldCalls.writes === 0,
        wallMs: readyMs ?? performance.now() - t0,
        cpuMs: coldCpu,
        peakRssMb: coldRss.peak,
        reads: coldCalls.reads,
        writes: coldCalls.writes,
        byRoute: coldCalls.byRoute,
        extra: { ready, kubectlApplySeconds: Number((applyMs / 1000).toFixed(1)), k8sWrites: sum(coldK8s), duplicates: census.duplicates },
        notes: [
          `time from operator start to all Ready (polled with kubectl every ${everyS} s); ` +
            `Kubernetes writes by the operator: ${JSON.stringify(coldK8s)}`,
          `Ready over time [s, count]: ${JSON.stringify(progressSample(progress))}`,
          ...(readyMs === undefined ? [`deadline of ${opts.deadlineS} s reached with ${ready}/${n} Ready`] : []),
        ],
      });
    }

    if (scenarios.has('idle') && readyMs !== undefined) {
      // Let the adoption tail settle, then wait for a list pass to end, so the
      // window (one resync period plus slack) holds exactly one whole pass.
      await sleep(3000);
      const resyncMs = parseDuration(opts.resync);
      const pagesPerPass = Math.max(1, Math.ceil(n / CODER_CLIENT_DEFAULTS.listPageSize));
      await sim.reset();
      const listReads = async () => (await sim.calls()).filter(([m, route]) => m === 'GET' && route === '/api/v2/workspaces').length;
      for (const end = Date.now() + resyncMs + 10_000; Date.now() < end && (await listReads()) < pagesPerPass; ) await sleep(200);
      await sleep(2000);
      await sim.reset();
      const before = await apiserverWrites(ok);
      const cpu0 = procCpuMs(pid);
      log(`operator n=${n}: idle window of ${(resyncMs + 10_000) / 1000} s`);
      // Inside the window, the pass alone: CPU from its first list read until
      // 1.5 s after its last page (the decisions), without the Lease renewals
      // and timers of the rest of the window.
      const windowEnd = Date.now() + resyncMs + 10_000;
      const passCpu = (async (): Promise<number | undefined> => {
        while (Date.now() < windowEnd && (await listReads()) === 0) await sleep(50);
        const start = procCpuMs(pid);
        while (Date.now() < windowEnd && (await listReads()) < pagesPerPass) await sleep(50);
        await sleep(1500);
        return Date.now() < windowEnd + 1500 ? procCpuMs(pid) - start : undefined;
      })();
      await sleep(resyncMs + 10_000);
      const cpu = procCpuMs(pid) - cpu0;
      const passOnlyMs = await passCpu;
      const calls = await sim.calls();
      const c = summarize(calls);
      const k8s = diffCounts(before, await apiserverWrites(ok));
      const passes = calls.filter(
        ([m, route, , , path]) => m === 'GET' && route === '/api/v2/workspaces' && !/[?&]offset=[1-9]/.test(path),
      ).length;
      results.push({
        mode: 'operator',
        scenario: 'idle',
        n,
        latencyMs: 0,
        ok: c.writes === 0 && sum(k8s) === 0 && passes >= 1,
        wallMs: resyncMs + 10_000,
        cpuMs: cpu,
        peakRssMb: procRssMb(pid).peak,
        reads: c.reads,
        writes: c.writes,
        byRoute: c.byRoute,
        extra: {
          listPasses: passes,
          readsPerPass: Number((c.reads / Math.max(1, passes)).toFixed(1)),
          cpuPassOnlyMs: passOnlyMs ?? 'n/a',
          k8sWrites: sum(k8s),
        },
        notes: [
          `window = --resync ${opts.resync} + 10 s (CPU s = the whole window, Lease renewals every 2 s included); ` +
            "cpuPassOnlyMs = from the pass's first list read to 1.5 s after its last page",
          `Kubernetes writes by the operator (Leases excluded): ${JSON.stringify(k8s)}`,
        ],
      });
    }

    if (scenarios.has('rss')) {
      const rss = procRssMb(pid);
      const heap = await heapFromMetrics(`http://127.0.0.1:${metricsPort}/metrics`);
      results.push({
        mode: 'operator',
        scenario: 'rss',
        n,
        latencyMs: 0,
        ok: readyMs !== undefined,
        peakRssMb: rss.peak,
        extra: { rssNowMb: Math.round(rss.now), ready, ...heap },
        notes: [
          'VmHWM of the operator process after cold adopt (+ idle window when run); ' +
            'heap figures from its own /metrics (prom-client process metrics) at that moment',
        ],
      });
    }
    run.release();
  } finally {
    await stopOperator(operator);
    await sim.close();
    await cp.stop();
  }
  return results;
}
