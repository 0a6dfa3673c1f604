// The in-cluster operator, end to end, as a user runs it: the chart's RBAC
// applied for real, the operator as a child process whose kubeconfig holds a
// TokenRequest token of the chart's ServiceAccount (so it has exactly the
// chart's permissions), the Coder simulator on loopback, and helpers that
// count what the operator wrote to Coder and to Kubernetes.
import { apiserverWritesFrom } from '../control-plane/apiserver-writes.ts';
import { freePort } from '../control-plane/processes.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { startCoderSimulator, type CoderSimulator, type SimulatorOptions } from '../../src/coder-sim/index.ts';
export { freePort };
import { freshNamespace, helm, installCrds, kubectl, kubectlOk, serviceAccountKubeconfig } from './kubectl.ts';
import { coderConnectionManifest } from '../support/coder-connection.ts';
import { eventually } from '../support/eventually.ts';
import { tokenSecret } from '../support/token-secret.ts';
import { workspaceManifest } from '../support/workspace.ts';

/** The tests' one wait helper, re-exported for the e2e files that import it from here. */
export { eventually };

const CLI = resolve(import.meta.dirname, '../../src/cli/main.ts');
const CHART = resolve(import.meta.dirname, '../../helm/coder-workspace-operator');
export const API = 'coderops.dev/v1alpha1';
/** Short, so drift tests do not wait 10 minutes; long enough that a resync is a distinct event. */
export const TEST_RESYNC_MS = 4_000;
export const TEST_RESYNC = `${TEST_RESYNC_MS / 1000}s`;

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export interface OperatorProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  metricsUrl: string;
  probesUrl: string;
  exited: Promise<Exit>;
  /** Sends a signal and waits for the exit (SIGKILL after 20 s, so a hung SIGTERM fails loudly in the log). */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
  logs(): Promise<string>;
  metrics(): Promise<string>;
}

export interface StartOptions {
  /** Shown in POD_NAME, so the Lease holder names the process. */
  name?: string;
  resync?: string;
  deletionPolicy?: 'Orphan' | 'Delete';
  /** Lease timings (default the chart's 15s/10s/2s); a crash test shortens them to wait less for expiry. */
  lease?: { duration: string; renewDeadline: string; retryPeriod: string };
  /** Wait for /readyz (default true). */
  waitReady?: boolean;
  /** How long to wait for /readyz (default 30 s); a test starting several processes at once waits longer. */
  readyTimeoutMs?: number;
  /** --coder-timeout: one Coder API attempt (default the CLI's 30s). */
  coderTimeout?: string;
  /** --watch-label-selector: run as one shard (src/controller/shard.ts). */
  watchLabelSelector?: string;
  /** --leader-election-id (default env.leaseName); 'derived' passes none, so the operator derives it from the selector. */
  leaseName?: string | 'derived';
}

/** The operator's surroundings in the cluster, for any Coder server. */
export interface OperatorBase {
  /** The Coder URL every team's CoderConnection points at. */
  coderUrl: string;
  operatorNs: string;
  saKubeconfig: string;
  /** Team namespaces, each with Secret coder-token (the admin's token) and CoderConnection default. */
  teams: string[];
  leaseName: string;
  dir: string;
  start(opts?: StartOptions): Promise<OperatorProcess>;
  /** Stops every operator (and the simulator, if any); safe to call twice and after failures. */
  close(): Promise<void>;
}

export interface OperatorEnv extends OperatorBase {
  sim: CoderSimulator;
}

export function httpGetText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((done) => {
    httpGet(url, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
    }).on('error', (e) => done({ status: 0, body: String(e) }));
  });
}

/** Objects as one multi-document stream for kubectl apply -f -. */
export function docs(...objects: object[]): string {
  return objects.map((o) => JSON.stringify(o)).join('\n---\n');
}

export function workspace(ns: string, name: string, spec: Record<string, unknown>): object {
  return workspaceManifest(name, spec, ns);
}

/** A CoderConnection and its Secret, token empty: setToken fills it without it showing in last-applied. */
export function connection(ns: string, url: string, name = 'default', secret = 'coder-token'): object[] {
  return [
    tokenSecret(secret, ns, { allowedUrls: url }),
    coderConnectionManifest(name, ns, { url, tokenSecretRef: { name: secret, key: 'token' } }),
  ];
}

export async function apply(...objects: object[]): Promise<void> {
  await kubectlOk(['apply', '-f', '-'], { stdin: docs(...objects) });
}

/**
 * Everything up to (not including) the operator: CRDs, chart RBAC under a
 * release name of its own (its ClusterRole and binding are cluster-scoped, so
 * two files must not share them), simulator, teams with their connection.
 */
export async function setUpOperatorEnv(opts: { teams?: number; sim?: SimulatorOptions } = {}): Promise<OperatorEnv> {
  const sim = await startCoderSimulator({
    seed: {
      users: [{ username: 'admin', roles: ['owner'] }, { username: 'alice' }, { username: 'bob' }],
      templates: [{ name: 'docker', default_ttl_ms: 8 * 3600_000 }, { name: 'kubernetes' }],
    },
    ...opts.sim,
  });
  const base = await setUpOperatorBase({ url: sim.url, token: sim.tokenFor('admin') }, opts, () => sim.close());
  return { ...base, sim };
}

/** The same for a Coder server of the caller's (the real-coderd tier's). */
export async function setUpOperatorBase(
  coder: { url: string; token: string },
  opts: { teams?: number } = {},
  closeCoder: () => Promise<void> = async () => undefined,
): Promise<OperatorBase> {
  await installCrds().catch(async (error) => {
    await closeCoder();
    throw error;
  });
  const operators: OperatorProcess[] = [];
  const env: OperatorBase = {
    coderUrl: coder.url,
    operatorNs: '',
    saKubeconfig: '',
    teams: [],
    leaseName: `cwo-${randomBytes(3).toString('hex')}`,
    dir: await mkdtemp(join(tmpdir(), 'cwo-op-e2e-')),
    start: (o) => startOperator(env, o).then((p) => (operators.push(p), p)),
    async close() {
      await Promise.all(operators.map((p) => p.stop('SIGKILL').catch(() => undefined)));
      await closeCoder().catch(() => undefined);
    },
  };
  try {
    env.operatorNs = await freshNamespace('cwo-system');
    const release = `op${randomBytes(3).toString('hex')}`;
    const rendered = await helm(['template', release, CHART, '-n', env.operatorNs]);
    if (rendered.code !== 0) throw new Error(`helm template: ${rendered.stderr}`);
    // Only the identity and its permissions: the Deployment is what this process replaces.
    const keep = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);
    const rbac = parseAllDocuments(rendered.stdout)
      .map((d) => d.toJS())
      .filter((d) => d && keep.has(d.kind));
    await kubectlOk(['apply', '--server-side', '-f', '-'], { stdin: docs(...rbac) });
    const sa = rbac.find((d) => d.kind === 'ServiceAccount').metadata.name;
    env.saKubeconfig = await serviceAccountKubeconfig(env.operatorNs, sa);
    for (let i = 0; i < (opts.teams ?? 1); i += 1) {
      const ns = await freshNamespace('team');
      await apply(...connection(ns, coder.url));
      await setToken(ns, coder.token);
      env.teams.push(ns);
    }
  } catch (error) {
    await env.close();
    throw error;
  }
  return env;
}

/** Puts a token in a Secret. */
export async function setToken(ns: string, token: string, secret = 'coder-token'): Promise<void> {
  const patch = JSON.stringify({ data: { token: Buffer.from(token).toString('base64') } });
  await kubectlOk(['patch', 'secret', secret, '-n', ns, '--type=merge', '-p', patch]);
}

async function startOperator(env: OperatorBase, o: StartOptions = {}): Promise<OperatorProcess> {
  const name = o.name ?? `op-${randomBytes(2).toString('hex')}`;
  const [metricsPort, probesPort] = [await freePort(), await freePort()];
  const logFile = join(env.dir, `${name}.log`);
  const lease = o.lease ?? { duration: '15s', renewDeadline: '10s', retryPeriod: '2s' };
  // The chart's flags (templates/deployment.yaml), with loopback ports and a short resync.
  const args = [
    CLI,
    'run',
    '--kubeconfig',
    env.saKubeconfig,
    `--namespaces=${env.teams.join(',')}`,
    '--leader-elect',
    `--leader-election-namespace=${env.operatorNs}`,
    ...(o.leaseName === 'derived' ? [] : [`--leader-election-id=${o.leaseName ?? env.leaseName}`]),
    ...(o.watchLabelSelector !== undefined ? [`--watch-label-selector=${o.watchLabelSelector}`] : []),
    `--lease-duration=${lease.duration}`,
    `--renew-deadline=${lease.renewDeadline}`,
    `--retry-period=${lease.retryPeriod}`,
    '--concurrency=4',
    `--resync=${o.resync ?? TEST_RESYNC}`,
    `--deletion-policy=${o.deletionPolicy ?? 'Orphan'}`,
    `--metrics-bind-address=127.0.0.1:${metricsPort}`,
    `--health-probe-bind-address=127.0.0.1:${probesPort}`,
    '--log-level=debug',
    ...(o.coderTimeout ? [`--coder-timeout=${o.coderTimeout}`] : []),
  ];
  const log = createWriteStream(logFile);
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', POD_NAME: name, POD_NAMESPACE: env.operatorNs },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // If the test worker itself dies, take the operator with it (afterAll never runs then).
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  // A little after 'exit', so the log stream has the last lines.
  const exited = new Promise<Exit>((done) => child.once('exit', (code, signal) => setTimeout(() => done({ code, signal }), 50)));
  const p: OperatorProcess = {
    name,
    child,
    logFile,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    probesUrl: `http://127.0.0.1:${probesPort}`,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
    logs: () => readFile(logFile, 'utf8'),
    metrics: async () => (await httpGetText(p.metricsUrl)).body,
  };
  if (o.waitReady ?? true) {
    // Ready, or fail at once (with the log's tail) if the process exits first.
    const died = exited.then(async (e) => {
      throw new Error(`${name} exited (${e.code ?? e.signal}) before /readyz:\n${(await p.logs()).slice(-3000)}`);
    });
    const ready = eventually(
      `${name} /readyz`,
      async () => (await httpGetText(`${p.probesUrl}/readyz`)).status === 200,
      o.readyTimeoutMs ?? 30_000,
    );
    await Promise.race([ready, died]).catch(async (error: Error) => {
      await p.stop('SIGKILL');
      throw error;
    });
    died.catch(() => undefined);
  }
  return p;
}

// ---- reading what happened ------------------------------------------------

export type Condition = { type: string; status: string; reason: string; message: string; observedGeneration?: number };

export async function getWorkspace(ns: string, name: string): Promise<any> {
  return JSON.parse(await kubectlOk(['get', 'workspaces.coderops.dev', name, '-n', ns, '-o', 'json']));
}

export function condition(obj: any, type: string): Condition | undefined {
  return (obj?.status?.conditions ?? []).find((c: Condition) => c.type === type);
}

/** kubectl wait, as a user or a CI job waits. */
export async function waitFor(ns: string, name: string, forExpr = 'condition=Ready', timeout = '30s'): Promise<void> {
  const ran = await kubectl(['wait', `--for=${forExpr}`, `--timeout=${timeout}`, '-n', ns, `workspaces.coderops.dev/${name}`]);
  if (ran.code !== 0) {
    const ws = await getWorkspace(ns, name).catch(() => undefined);
    throw new Error(`kubectl wait --for=${forExpr} ${ns}/${name}: ${ran.stderr}\nstatus: ${JSON.stringify(ws?.status)}`);
  }
}

/** Ready and Synced for the current generation, reason as given. */
export async function waitSettled(ns: string, name: string, reason?: string, timeoutMs = 20_000): Promise<any> {
  return eventually(
    `${ns}/${name} settled${reason ? ` with ${reason}` : ''}`,
    async () => {
      const ws = await getWorkspace(ns, name);
      const synced = condition(ws, 'Synced');
      const ok =
        ws.status?.observedGeneration === ws.metadata.generation && condition(ws, 'Ready')?.status === 'True' && synced?.status === 'True';
      return ok && (!reason || synced?.reason === reason) ? ws : undefined;
    },
    timeoutMs,
  );
}

/** events.k8s.io/v1 Events about one Workspace, oldest first. */
export async function eventsFor(ns: string, name: string): Promise<any[]> {
  const list = JSON.parse(await kubectlOk(['get', 'events.events.k8s.io', '-n', ns, '-o', 'json']));
  return list.items
    .filter((e: any) => e.regarding?.kind === 'Workspace' && e.regarding?.name === name)
    .sort((a: any, b: any) =>
      String(a.eventTime ?? a.metadata.creationTimestamp).localeCompare(String(b.eventTime ?? b.metadata.creationTimestamp)),
    );
}

/** Simulator calls that change something (not GET/HEAD). */
export function coderWrites(sim: CoderSimulator): { method: string; route: string; path: string; status: number }[] {
  return sim.calls
    .filter((c) => c.method !== 'GET' && c.method !== 'HEAD')
    .map((c) => ({ method: c.method, route: c.route, path: c.path, status: c.status }));
}

/** Create requests per requested workspace name (whatever their answer). */
export function createsByName(sim: CoderSimulator): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of sim.calls) {
    if (c.method !== 'POST' || !/\/workspaces$/.test(c.route)) continue;
    const name = String((c.requestBody as { name?: string } | undefined)?.name);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

/** Write requests the apiserver served so far, by verb and resource (see apiserver-writes.ts). */
export async function apiserverWrites(): Promise<Map<string, number>> {
  return apiserverWritesFrom(await kubectlOk(['get', '--raw', '/metrics']));
}

/**
 * Resources the chart lets the operator write, Leases aside (renewed every
 * retry period by design). rbac.test.ts proves it can write nothing else, so
 * other writes are other actors', e.g. the apiserver's endpoint reconciler.
 */
export function operatorWritable(key: string): boolean {
  return /^\S+ (workspaces|workspacesets|coderconnections|clustercoderconnections|events)(\/|$)/.test(key);
}

export function diffCounts(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after) if (v - (before.get(k) ?? 0) > 0) out[k] = v - (before.get(k) ?? 0);
  return out;
}

/** resourceVersions of the Workspaces and CoderConnections in a namespace, and its Event count. */
export async function snapshot(ns: string): Promise<{ versions: Map<string, string>; events: number }> {
  const objs = JSON.parse(await kubectlOk(['get', 'workspaces.coderops.dev,coderconnections.coderops.dev', '-n', ns, '-o', 'json']));
  const events = JSON.parse(await kubectlOk(['get', 'events.events.k8s.io', '-n', ns, '-o', 'json'])).items.length;
  return { versions: new Map(objs.items.map((o: any) => [`${o.kind}/${o.metadata.name}`, o.metadata.resourceVersion])), events };
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export function measure(text: string): void {
  process.stdout.write(`[measure] ${text}\n`);
}
