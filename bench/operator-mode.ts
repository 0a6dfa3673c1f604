// Operator-mode scenarios on a real control plane (etcd + kube-apiserver from
// test/control-plane), the operator as a child process with the chart's RBAC
// (a TokenRequest token of the chart's ServiceAccount), the simulator seeded
// with N matching workspaces:
//   cold-adopt: N Workspaces applied (server-side, chunks of 1,000), then the
//               operator started; time until all are Ready, its CPU, Coder calls.
//   idle:       one --resync window after that: Coder reads/writes, Kubernetes
//               writes by the operator (apiserver's own request counter), CPU.
//   rss:        the operator's peak RSS (VmHWM) over all of the above.
import { apiserverWritesFrom } from '../test/control-plane/apiserver-writes.ts';
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseDuration } from '../src/api/duration.ts';
import { CODER_CLIENT_DEFAULTS } from '../src/coder/client.ts';
import { binaries, startControlPlane } from '../test/control-plane/control-plane.ts';
import type { ScenarioResult } from './cli-mode.ts';
import { OWNERS } from './cli-mode.ts';
import { multiDoc, workspaceDoc } from './fixtures.ts';
import { CLI, imageRuntime, procCpuMs, procRssMb, ROOT, run, startSim, summarize } from './lib.ts';

const NS = 'bench';
const OP_NS = 'cwo-system';
const CHUNK = 1000;
const API = 'coderops.dev/v1alpha1';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
  const kubectl = (args: string[], stdin?: string) =>
    run(binaries().kubectl, ['--kubeconfig', cp.kubeconfig, ...args], stdin === undefined ? {} : { stdin });
  const ok = async (args: string[], stdin?: string) => {
    const r = await kubectl(args, stdin);
    if (r.code !== 0) throw new Error(`kubectl ${args.slice(0, 4).join(' ')}: ${r.stderr.slice(0, 800)}`);
    return r.stdout;
  };
  const sim = await startSim({ n, owners: OWNERS, latencyMs: 0, existing: n, buildDurationMs: 200 });
  let operator: ReturnType<typeof spawn> | undefined;
  try {
    await ok(['apply', '--server-side', '-f', join(ROOT, 'crds')]);
    await ok(['wait', '--for=condition=Established', '--timeout=60s', 'crd/workspaces.coderops.dev', 'crd/coderconnections.coderops.dev']);
    await ok(['create', 'namespace', OP_NS]);
    await ok(['create', 'namespace', NS]);
    const rendered = await run(binaries().helm, ['template', 'bench', join(ROOT, 'helm/coder-workspace-operator'), '-n', OP_NS]);
    if (rendered.code !== 0) throw new Error(`helm template: ${rendered.stderr}`);
    const keep = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);
    const rbac = parseAllDocuments(rendered.stdout)
      .map((d) => d.toJS() as { kind?: string; metadata: { name: string } } | null)
      .filter((d) => d && keep.has(d.kind ?? ''));
    await ok(['apply', '--server-side', '-f', '-'], multiDoc(rbac as object[]));
    const sa = rbac.find((d) => d!.kind === 'ServiceAccount')!.metadata.name;
    const token = (await ok(['create', 'token', sa, '-n', OP_NS, '--duration=2h'])).trim();
    const admin = JSON.parse(await readFile(cp.kubeconfig, 'utf8')) as { clusters: unknown };
    const saKubeconfig = join(cp.dir, 'sa.kubeconfig');
    await writeFile(
      saKubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: admin.clusters,
        users: [{ name: 'sa', user: { token } }],
        contexts: [{ name: 'sa', context: { cluster: 'test', user: 'sa' } }],
        'current-context': 'sa',
      }),
      { mode: 0o600 },
    );
    await ok(
      ['apply', '--server-side', '-f', '-'],
      multiDoc([
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'coder-token', namespace: NS, labels: { 'coderops.dev/secret-type': 'coder-token' } },
          stringData: { token: sim.token },
        },
        {
          apiVersion: API,
          kind: 'CoderConnection',
          metadata: { name: 'default', namespace: NS },
          spec: { url: sim.url, tokenSecretRef: { name: 'coder-token', key: 'token' } },
        },
      ]),
    );

    log(`operator n=${n}: applying ${n} Workspaces in chunks of ${CHUNK}`);
    const applyStart = performance.now();
    for (let from = 0; from < n; from += CHUNK) {
      const chunk: object[] = [];
      for (let i = from; i < Math.min(n, from + CHUNK); i += 1) chunk.push(workspaceDoc(i, OWNERS, '8h', NS));
      await ok(['apply', '--server-side', '--field-manager=bench', '-f', '-'], multiDoc(chunk));
    }
    const applyMs = performance.now() - applyStart;
    log(`operator n=${n}: applied in ${(applyMs / 1000).toFixed(1)} s; starting the operator`);

    await sim.reset();
    const writesBefore = await apiserverWrites(ok);
    const [metricsPort, probesPort] = [await freePort(), await freePort()];
    const logFile = join(cp.dir, 'operator.log');
    const logStream = createWriteStream(logFile);
    const t0 = performance.now();
    const image = imageRuntime();
    operator = spawn(
      process.execPath,
      [
        ...image.nodeFlags,
        ...(opts.nodeArgs ?? []),
        CLI,
        'run',
        '--kubeconfig',
        saKubeconfig,
        `--namespaces=${NS}`,
        '--leader-elect',
        `--leader-election-namespace=${OP_NS}`,
        '--leader-election-id=bench',
        '--concurrency=4',
        `--resync=${opts.resync}`,
        '--deletion-policy=Orphan',
        `--metrics-bind-address=127.0.0.1:${metricsPort}`,
        `--health-probe-bind-address=127.0.0.1:${probesPort}`,
        '--log-level=info',
      ],
      {
        env: { ...image.env, PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', POD_NAME: 'bench-op', POD_NAMESPACE: OP_NS },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    operator.stdout!.pipe(logStream, { end: false });
    operator.stderr!.pipe(logStream, { end: false });
    const pid = operator.pid!;
    const reap = () => operator?.kill('SIGKILL');
    process.once('exit', reap);

    // Count Ready=True the way a user would, every few seconds (kubectl's own CPU is not the operator's).
    const deadline = t0 + opts.deadlineS * 1000;
    const progress: [number, number][] = [];
    let ready = 0;
    let readyMs: number | undefined;
    while (performance.now() < deadline) {
      if (operator.exitCode !== null)
        throw new Error(`operator exited ${operator.exitCode}: ${(await readFile(logFile, 'utf8')).slice(-2000)}`);
      const out = await kubectl([
        'get',
        'workspaces.coderops.dev',
        '-n',
        NS,
        '--chunk-size=2000',
        '-o',
        'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
      ]);
      ready = out.stdout.split('\n').filter((l) => l === 'True').length;
      const at = performance.now() - t0;
      progress.push([Math.round(at / 1000), ready]);
      if (ready >= n) {
        readyMs = at;
        break;
      }
      await sleep(n > 2000 ? 5000 : 2000);
    }
    const coldCpu = procCpuMs(pid);
    const coldRss = procRssMb(pid);
    const coldCalls = summarize(await sim.calls());
    const coldK8s = diffCounts(writesBefore, await apiserverWrites(ok));
    const census = await sim.census();
    log(`operator n=${n}: ${ready}/${n} Ready after ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    if (scenarios.has('cold-adopt')) {
      const progressSample = progress.filter(
        (_, i) => i % Math.max(1, Math.floor(progress.length / 12)) === 0 || i === progress.length - 1,
      );
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
          `time from operator start to all Ready (polled with kubectl every ${n > 2000 ? 5 : 2} s); ` +
            `Kubernetes writes by the operator: ${JSON.stringify(coldK8s)}`,
          `Ready over time [s, count]: ${JSON.stringify(progressSample)}`,
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
    process.off('exit', reap);
  } finally {
    if (operator && operator.exitCode === null) {
      const exited = new Promise((r) => operator!.once('exit', r));
      operator.kill('SIGTERM');
      const timer = setTimeout(() => operator!.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    await sim.close();
    await cp.stop();
  }
  return results;
}

/** V8 heap and external memory of the operator, in MB, from its prom-client process metrics. */
async function heapFromMetrics(url: string): Promise<Record<string, number>> {
  try {
    const text = await (await fetch(url)).text();
    const mb = (name: string) => {
      const m = new RegExp(`^cwo_${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
      return m ? Math.round(Number(m[1]) / 2 ** 20) : NaN;
    };
    return {
      heapUsedMb: mb('nodejs_heap_size_used_bytes'),
      heapTotalMb: mb('nodejs_heap_size_total_bytes'),
      externalMb: mb('nodejs_external_memory_bytes'),
    };
  } catch {
    return {};
  }
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** Write requests the apiserver served to resources the operator may write (Leases aside). */
async function apiserverWrites(ok: (args: string[]) => Promise<string>): Promise<Map<string, number>> {
  const all = apiserverWritesFrom(await ok(['get', '--raw', '/metrics']));
  return new Map([...all].filter(([key]) => /^\S+ (workspaces|coderconnections|clustercoderconnections|events)(\/|$)/.test(key)));
}

function diffCounts(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after) if (v - (before.get(k) ?? 0) > 0) out[k] = v - (before.get(k) ?? 0);
  return out;
}
