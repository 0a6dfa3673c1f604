// Issue 21's scale figures for the operator door: one WorkspaceSet whose users
// generator finds N members, on a real control plane with the chart's RBAC and
// the simulator seeded with N users and, for each, the workspace the set's
// child will name (`fleet-<user>`), so the children adopt as N Workspaces do
// in operator mode's cold-adopt:
//   set-converge: the set applied, then the operator started; time until the
//                 set reports N children Ready; Coder calls, Kubernetes writes,
//                 the operator's peak RSS (VmHWM) and heap.
//   set-idle:     one refresh period after that: user list reads (ceil(N / 2000)
//                 per refresh expected), Coder writes and Kubernetes writes (0 expected).
import type { ChildProcess } from 'node:child_process';
import { startControlPlane } from '../test/control-plane/control-plane.ts';
import type { ScenarioResult } from './cli-mode.ts';
import { multiDoc } from './fixtures.ts';
import { procCpuMs, procRssMb, startSim, summarize } from './lib.ts';
import {
  apiserverWrites,
  diffCounts,
  heapFromMetrics,
  NS,
  prepareCluster,
  sleep,
  startMeasuredOperator,
  stopOperator,
  sum,
} from './operator-env.ts';

const SET = 'fleet';
const REFRESH_S = 60;

export async function runWorkspaceSetMode(n: number, opts: { deadlineS: number }, log: (s: string) => void): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  log(`workspaceset n=${n}: starting control plane`);
  const cp = await startControlPlane();
  const sim = await startSim({ n, owners: n, latencyMs: 0, existing: n, buildDurationMs: 200, setName: SET });
  let operator: ChildProcess | undefined;
  try {
    const { kubectl, ok, kubeconfigs } = await prepareCluster(cp, sim);
    await ok(['wait', '--for=condition=Established', '--timeout=60s', 'crd/workspacesets.coderops.dev']);
    const set = {
      apiVersion: 'coderops.dev/v1alpha1',
      kind: 'WorkspaceSet',
      metadata: { name: SET, namespace: NS },
      spec: {
        generators: [{ users: { query: 'status:active', exclude: ['admin'] } }],
        template: { spec: { template: 'docker', ttl: '8h' } },
        refreshInterval: `${REFRESH_S}s`,
      },
    };
    await ok(['apply', '--server-side', '--field-manager=bench', '-f', '-'], multiDoc([set]));
    const run = await startMeasuredOperator(
      { dir: cp.dir, sim, ok },
      {
        kubeconfig: kubeconfigs[0]!,
        name: 'bench-set',
        leaseId: 'bench',
        resync: '10m',
      },
    );
    operator = run.child;
    const { pid, t0, writesBefore, metricsPort } = run;

    let ready = 0;
    let readyMs: number | undefined;
    const progress: [number, number][] = [];
    for (const deadline = t0 + opts.deadlineS * 1000; performance.now() < deadline; ) {
      await run.assertRunning();
      const out = await kubectl(['get', 'workspacesets.coderops.dev', SET, '-n', NS, '-o', 'jsonpath={.status.ready}']);
      ready = Number(out.stdout || 0);
      progress.push([Math.round((performance.now() - t0) / 1000), ready]);
      if (ready >= n) {
        readyMs = performance.now() - t0;
        break;
      }
      await sleep(5000);
    }
    const cpu = procCpuMs(pid);
    const rss = procRssMb(pid);
    const calls = summarize(await sim.calls());
    const k8s = diffCounts(writesBefore, await apiserverWrites(ok));
    const census = await sim.census();
    const heap = await heapFromMetrics(`http://127.0.0.1:${metricsPort}/metrics`);
    log(
      `workspaceset n=${n}: ${ready}/${n} children Ready after ${((performance.now() - t0) / 1000).toFixed(0)} s, peak RSS ${rss.peak} MB`,
    );
    results.push({
      mode: 'operator',
      scenario: 'workspaceset-converge',
      n,
      latencyMs: 0,
      ok: readyMs !== undefined && calls.writes === 0 && census.duplicates === 0,
      wallMs: readyMs ?? performance.now() - t0,
      cpuMs: cpu,
      peakRssMb: rss.peak,
      reads: calls.reads,
      writes: calls.writes,
      byRoute: calls.byRoute,
      extra: { ready, k8sWrites: sum(k8s), duplicates: census.duplicates, rssNowMb: Math.round(rss.now), ...heap },
      notes: [
        `one WorkspaceSet, users generator over ${n} users; time from operator start until status.ready = ${n} (polled every 5 s)`,
        `Kubernetes writes by the operator: ${JSON.stringify(k8s)}`,
        `ready children over time [s, count]: ${JSON.stringify(progress.filter((_, i) => i % Math.max(1, Math.floor(progress.length / 12)) === 0))}`,
      ],
    });

    if (readyMs !== undefined) {
      await sleep(5000);
      await sim.reset();
      const before = await apiserverWrites(ok);
      const cpu0 = procCpuMs(pid);
      const windowMs = REFRESH_S * 1000 + 10_000;
      log(`workspaceset n=${n}: idle window of ${windowMs / 1000} s`);
      await sleep(windowMs);
      const idleCalls = await sim.calls();
      const c = summarize(idleCalls);
      const idleK8s = diffCounts(before, await apiserverWrites(ok));
      const userReads = idleCalls.filter(([m, route]) => m === 'GET' && route === '/api/v2/users').length;
      results.push({
        mode: 'operator',
        scenario: 'workspaceset-idle',
        n,
        latencyMs: 0,
        ok: c.writes === 0 && sum(idleK8s) === 0,
        wallMs: windowMs,
        cpuMs: procCpuMs(pid) - cpu0,
        peakRssMb: procRssMb(pid).peak,
        reads: c.reads,
        writes: c.writes,
        byRoute: c.byRoute,
        extra: { userListReads: userReads, expectedPerRefresh: Math.ceil((n + 1) / 2000), k8sWrites: sum(idleK8s) },
        notes: [
          `window = refreshInterval ${REFRESH_S}s + 10 s, --resync 10m (so the window holds the set's refresh, not a Workspace resync)`,
          `Kubernetes writes by the operator (Leases excluded): ${JSON.stringify(idleK8s)}`,
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
