// What the operator benchmarks (operator-mode.ts, shards-mode.ts, workspaceset-mode.ts) share on a
// real control plane: the cluster set up as the chart installs it, the
// Workspaces applied in chunks, Ready counted the way a user would, operator
// processes started with the image's runtime, and the apiserver's own write
// counter. One place, so the two modes measure the same things the same way.
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../test/control-plane/processes.ts';
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { apiserverWritesFrom } from '../test/control-plane/apiserver-writes.ts';
import { binaries, type ControlPlane } from '../test/control-plane/control-plane.ts';
import { multiDoc } from './fixtures.ts';
import { CLI, imageRuntime, ROOT, run, type SimHandle } from './lib.ts';

export const NS = 'bench';
export const OP_NS = 'cwo-system';
export const CHUNK = 1000;
const API = 'coderops.dev/v1alpha1';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type Kubectl = (args: string[], stdin?: string) => Promise<{ code: number; stdout: string; stderr: string }>;
export type KubectlOk = (args: string[], stdin?: string) => Promise<string>;

export interface BenchCluster {
  kubectl: Kubectl;
  ok: KubectlOk;
  /** One per ServiceAccount asked for (the chart's own when none), each holding a TokenRequest token. */
  kubeconfigs: string[];
}

/**
 * CRDs, namespaces, the chart's RBAC, the token Secret and the CoderConnection.
 * `serviceAccounts` adds accounts bound to the chart's roles, so that each
 * operator process has an identity of its own in the apiserver's audit log.
 */
export async function prepareCluster(
  cp: ControlPlane,
  sim: Pick<SimHandle, 'url' | 'token'>,
  serviceAccounts: string[] = [],
): Promise<BenchCluster> {
  const kubectl: Kubectl = (args, stdin) =>
    run(binaries().kubectl, ['--kubeconfig', cp.kubeconfig, ...args], stdin === undefined ? {} : { stdin });
  const ok: KubectlOk = async (args, stdin) => {
    const r = await kubectl(args, stdin);
    if (r.code !== 0) throw new Error(`kubectl ${args.slice(0, 4).join(' ')}: ${r.stderr.slice(0, 800)}`);
    return r.stdout;
  };
  await ok(['apply', '--server-side', '-f', join(ROOT, 'crds')]);
  await ok(['wait', '--for=condition=Established', '--timeout=60s', 'crd/workspaces.coderops.dev', 'crd/coderconnections.coderops.dev']);
  await ok(['create', 'namespace', OP_NS]);
  await ok(['create', 'namespace', NS]);
  const rendered = await run(binaries().helm, ['template', 'bench', join(ROOT, 'helm/coder-workspace-operator'), '-n', OP_NS]);
  if (rendered.code !== 0) throw new Error(`helm template: ${rendered.stderr}`);
  const keep = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);
  type Doc = { kind: string; metadata: { name: string; namespace?: string }; subjects?: object[] };
  const rbac = parseAllDocuments(rendered.stdout)
    .map((d) => d.toJS() as Doc | null)
    .filter((d): d is Doc => d !== null && keep.has(d.kind ?? ''));
  for (const name of serviceAccounts) {
    rbac.push({ kind: 'ServiceAccount', metadata: { name, namespace: OP_NS }, apiVersion: 'v1' } as Doc);
    for (const d of rbac) if (d.subjects) d.subjects.push({ kind: 'ServiceAccount', name, namespace: OP_NS });
  }
  await ok(['apply', '--server-side', '-f', '-'], multiDoc(rbac));
  const accounts = serviceAccounts.length > 0 ? serviceAccounts : [rbac.find((d) => d.kind === 'ServiceAccount')!.metadata.name];
  const admin = JSON.parse(await readFile(cp.kubeconfig, 'utf8')) as { users: { name: string }[] };
  const kubeconfigs: string[] = [];
  for (const sa of accounts) {
    const token = (await ok(['create', 'token', sa, '-n', OP_NS, '--duration=4h'])).trim();
    const file = join(cp.dir, `${sa}.kubeconfig`);
    // The admin kubeconfig (cluster, CA, context) with the token in place of the client certificate.
    const config = { ...admin, users: admin.users.map((u) => ({ name: u.name, user: { token } })) };
    await writeFile(file, JSON.stringify(config), { mode: 0o600 });
    kubeconfigs.push(file);
  }
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'coder-token', namespace: NS, labels: { 'coderops.dev/secret-type': 'coder-token' } },
    stringData: { token: sim.token },
  };
  const connection = {
    apiVersion: API,
    kind: 'CoderConnection',
    metadata: { name: 'default', namespace: NS },
    spec: { url: sim.url, tokenSecretRef: { name: 'coder-token', key: 'token' } },
  };
  await ok(['apply', '--server-side', '-f', '-'], multiDoc([secret, connection]));
  return { kubectl, ok, kubeconfigs };
}

/** Server-side applies documents 0 … n-1 in chunks of CHUNK; returns the time it took, in ms. */
export async function applyInChunks(ok: KubectlOk, n: number, doc: (i: number) => object): Promise<number> {
  const start = performance.now();
  for (let from = 0; from < n; from += CHUNK) {
    const chunk: object[] = [];
    for (let i = from; i < Math.min(n, from + CHUNK); i += 1) chunk.push(doc(i));
    await ok(['apply', '--server-side', '--field-manager=bench', '-f', '-'], multiDoc(chunk));
  }
  return performance.now() - start;
}

/**
 * One line per Workspace of the bench namespace, printed with a jsonpath
 * template; one paged kubectl list. A failed list (a busy apiserver timing
 * out) gives no lines rather than an error: the next poll asks again.
 */
export async function listWorkspaces(kubectl: Kubectl, template: string): Promise<string[]> {
  const jsonpath = `jsonpath={range .items[*]}${template}{"\\n"}{end}`;
  const out = await kubectl(['get', 'workspaces.coderops.dev', '-n', NS, '--chunk-size=2000', '-o', jsonpath]);
  return out.stdout.split('\n');
}

export interface ReadyPoll {
  ready: number;
  /** From t0 to the poll that counted all n; undefined when the deadline came first. */
  readyMs: number | undefined;
  /** [seconds since t0, Ready count], one per poll. */
  progress: [number, number][];
  everyS: number;
}

/**
 * Counts Ready=True the way a user would, every few seconds, until all n or
 * the deadline (kubectl's own CPU is not the operator's). `check` runs before
 * each poll and throws when a process under test has died.
 */
export async function pollReady(
  kubectl: Kubectl,
  n: number,
  t0: number,
  deadlineS: number,
  check: () => Promise<void>,
): Promise<ReadyPoll> {
  const everyS = n > 2000 ? 5 : 2;
  const deadline = t0 + deadlineS * 1000;
  const progress: [number, number][] = [];
  let ready = 0;
  while (performance.now() < deadline) {
    await check();
    const lines = await listWorkspaces(kubectl, '{.status.conditions[?(@.type=="Ready")].status}');
    ready = lines.filter((l) => l === 'True').length;
    const at = performance.now() - t0;
    progress.push([Math.round(at / 1000), ready]);
    if (ready >= n) return { ready, readyMs: at, progress, everyS };
    await sleep(everyS * 1000);
  }
  return { ready, readyMs: undefined, progress, everyS };
}

/** About a dozen of the polls, the last one always among them: enough to see the curve in a note. */
export function progressSample(progress: [number, number][]): [number, number][] {
  const every = Math.max(1, Math.floor(progress.length / 12));
  return progress.filter((_, i) => i % every === 0 || i === progress.length - 1);
}

export interface OperatorSpec {
  kubeconfig: string;
  /** POD_NAME: the process's identity in its Lease and Events. */
  name: string;
  leaseId: string;
  resync: string;
  metricsPort: number;
  probesPort: number;
  logFile: string;
  /** Flags after the chart's, e.g. --watch-label-selector. */
  args?: string[];
  /** Node flags after the image's, e.g. --cpu-prof. */
  nodeArgs?: string[];
}

/** The compiled operator with the image's node flags and environment and the chart's flags (short --resync aside). */
export function spawnOperator(s: OperatorSpec): ChildProcess {
  const image = imageRuntime();
  const child = spawn(
    process.execPath,
    [
      ...image.nodeFlags,
      ...(s.nodeArgs ?? []),
      CLI,
      'run',
      '--kubeconfig',
      s.kubeconfig,
      `--namespaces=${NS}`,
      '--leader-elect',
      `--leader-election-namespace=${OP_NS}`,
      `--leader-election-id=${s.leaseId}`,
      '--concurrency=4',
      `--resync=${s.resync}`,
      '--deletion-policy=Orphan',
      `--metrics-bind-address=127.0.0.1:${s.metricsPort}`,
      `--health-probe-bind-address=127.0.0.1:${s.probesPort}`,
      '--log-level=info',
      ...(s.args ?? []),
    ],
    {
      env: { ...image.env, PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', POD_NAME: s.name, POD_NAMESPACE: OP_NS },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const log = createWriteStream(s.logFile, { flags: 'a' });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  return child;
}

/** An operator started for a measured run, with what its figures are taken against. */
export interface MeasuredOperator {
  child: ChildProcess;
  pid: number;
  /** performance.now() at the spawn: the run's time zero. */
  t0: number;
  /** The apiserver's write counts just before the spawn. */
  writesBefore: Map<string, number>;
  metricsPort: number;
  /** Throws, with the end of its log, when the operator has exited. */
  assertRunning(): Promise<void>;
  /** Drops the guard that kills it when the bench exits (before stopOperator). */
  release(): void;
}

/**
 * Starts the operator for a measured run: the simulator's call log zeroed and
 * the apiserver's writes counted just before, on free ports, logging to the
 * control plane's directory, SIGKILLed if the bench process exits first.
 */
export async function startMeasuredOperator(
  at: { dir: string; sim: Pick<SimHandle, 'reset'>; ok: KubectlOk },
  spec: Omit<OperatorSpec, 'metricsPort' | 'probesPort' | 'logFile'>,
): Promise<MeasuredOperator> {
  await at.sim.reset();
  const writesBefore = await apiserverWrites(at.ok);
  const [metricsPort, probesPort] = [await freePort(), await freePort()];
  const logFile = join(at.dir, 'operator.log');
  const t0 = performance.now();
  const child = spawnOperator({ ...spec, metricsPort, probesPort, logFile });
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  return {
    child,
    pid: child.pid!,
    t0,
    writesBefore,
    metricsPort,
    async assertRunning() {
      if (child.exitCode !== null) throw new Error(`operator exited ${child.exitCode}: ${(await readFile(logFile, 'utf8')).slice(-2000)}`);
    },
    release: () => process.off('exit', reap),
  };
}

/** SIGTERM (the operator releases its Lease and finishes in-flight work), SIGKILL after 15 s. */
export async function stopOperator(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** V8 heap and external memory of the operator, in MB, from its prom-client process metrics. */
export async function heapFromMetrics(url: string): Promise<Record<string, number>> {
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

export function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** Write requests the apiserver served to resources the operator may write (Leases aside). */
export async function apiserverWrites(ok: KubectlOk): Promise<Map<string, number>> {
  const all = apiserverWritesFrom(await ok(['get', '--raw', '/metrics']));
  return new Map(
    [...all].filter(([key]) => /^\S+ (workspaces|workspacesets|coderconnections|clustercoderconnections|events)(\/|$)/.test(key)),
  );
}

export function diffCounts(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after) if (v - (before.get(k) ?? 0) > 0) out[k] = v - (before.get(k) ?? 0);
  return out;
}
