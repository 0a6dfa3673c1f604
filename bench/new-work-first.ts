// node bench/new-work-first.ts [--n 10000] [--root DIR] [--concurrency 4] [--out FILE] [--skip-drain]
// Issue 14 item 3: how long one edit waits while N routine keys are queued.
// A real control plane (etcd + kube-apiserver from test/control-plane), the
// Coder simulator and the operator in this process (so the simulator's state
// can be drifted directly), N Workspaces bound to N existing Coder workspaces:
//   start-up: the operator starts, its initial list queues N keys; one edit
//             (kubectl apply of a new ttl) is made as soon as the cache synced;
//   resync:   once all are Ready, every workspace is drifted in Coder and one
//             resync queues N keys; one more edit is made right after.
// Each edit is timed from just before `kubectl apply` to the moment the
// operator's own cache shows Synced=True for the new generation (its status
// write came back through the watch). --root loads the operator from another
// checkout (e.g. an unpacked `git archive` of the commit before the priority
// queue), so before and after run the same scenario on the same machine.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import type { Workspace } from '../src/api/schema.ts';
import { startCoderSimulator } from '../src/coder-sim/index.ts';
import { binaries, startControlPlane } from '../test/control-plane/control-plane.ts';
import { benchSeed, multiDoc, workspaceDoc, wsName } from './fixtures.ts';
import { ROOT, run } from './lib.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '10000' },
    root: { type: 'string', default: ROOT },
    concurrency: { type: 'string', default: '4' },
    out: { type: 'string' },
    /** Stop once the resync edit is Synced instead of waiting for the whole resync to drain. */
    'skip-drain': { type: 'boolean', default: false },
  },
});
const N = Number(values.n);
const ROOT_UNDER_TEST = resolve(values.root);
const NS = 'bench';
const OWNERS = 500;
const CHUNK = 1000;
const started = Date.now();
const log = (s: string) => process.stderr.write(`[new-work-first ${((Date.now() - started) / 1000).toFixed(0)}s] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The operator as the checkout under test builds it; the shapes used here are the same before and after. */
interface OperatorUnderTest {
  start(): Promise<void>;
  stop(): Promise<void>;
  resync(): Promise<number>;
  workspaces(): Workspace[];
  workspaceInformer: { hasSynced(): boolean; get(key: string): unknown };
  queue: { len(): number; inFlight(): number };
}

const load = async <M>(rel: string): Promise<M> => (await import(pathToFileURL(join(ROOT_UNDER_TEST, rel)).href)) as M;
const { Operator } = await load<{ Operator: new (o: object) => OperatorUnderTest }>('src/controller/operator.ts');
const { SharedConnectionsKubeConfig } = await load<{ SharedConnectionsKubeConfig: new () => KubeConfig }>('src/kube/http-agent-pool.ts');
const { OperatorMetrics } = await load<{ OperatorMetrics: new () => object }>('src/observability/metrics.ts');
// Commands that read no stdin go through execFile: lib.ts's run() writes stdin, which fails (EPIPE) when the command exits first.
const exec = promisify(execFile);
const commit = await exec('git', ['-C', ROOT_UNDER_TEST, 'rev-parse', '--short', 'HEAD']).then(
  (r) => r.stdout.trim(),
  () => values.root,
);

const cp = await startControlPlane();
const sim = await startCoderSimulator({ seed: benchSeed({ owners: OWNERS, existing: N }), rateLimitPerMinute: 0, buildDurationMs: 200 });
const kubectl = async (args: string[], stdin?: string): Promise<string> => {
  const full = ['--kubeconfig', cp.kubeconfig, ...args];
  if (stdin === undefined) return (await exec(binaries().kubectl, full, { maxBuffer: 64 << 20 })).stdout;
  const r = await run(binaries().kubectl, full, { stdin });
  if (r.code !== 0) throw new Error(`kubectl ${args.slice(0, 4).join(' ')}: ${r.stderr.slice(0, 800)}`);
  return r.stdout;
};
let operator: OperatorUnderTest | undefined;

/** Applies a new ttl to one Workspace; resolves with ms from the apply to Synced=True of that generation in the cache. */
async function timedEdit(
  i: number,
  ttl: string,
): Promise<{ ms: number; afterApplyMs: number; queuedAtEdit: number; queuedAtSynced: number }> {
  const key = `${NS}/${wsName(i)}`;
  const queuedAtEdit = operator!.queue.len();
  const t0 = performance.now();
  await kubectl(['apply', '--server-side', '--field-manager=bench', '-f', '-'], multiDoc([workspaceDoc(i, OWNERS, ttl, NS)]));
  const applied = performance.now();
  for (;;) {
    const ws = operator!.workspaceInformer.get(key) as Workspace | undefined;
    const synced = ws?.status?.conditions?.find((c) => c.type === 'Synced');
    if (ws && ws.spec.ttl === ttl && ws.status?.observedGeneration === ws.metadata.generation && synced?.status === 'True') {
      const now = performance.now();
      return { ms: Math.round(now - t0), afterApplyMs: Math.round(now - applied), queuedAtEdit, queuedAtSynced: operator!.queue.len() };
    }
    if (performance.now() - t0 > 900_000) throw new Error(`${key} not Synced 15 min after the edit`);
    await sleep(10);
  }
}

async function until(what: string, ok: () => boolean, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (!ok()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
  return Math.round(performance.now() - t0);
}

const allReady = () =>
  operator!
    .workspaces()
    .filter(
      (w) =>
        w.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') &&
        w.status?.observedGeneration === w.metadata.generation,
    ).length === N;

try {
  await kubectl(['apply', '--server-side', '-f', join(ROOT, 'crds')]);
  await kubectl([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/workspaces.coderops.dev',
    'crd/coderconnections.coderops.dev',
  ]);
  await kubectl(['create', 'namespace', NS]);
  await kubectl(
    ['apply', '--server-side', '-f', '-'],
    multiDoc([
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'coder-token', namespace: NS, labels: { 'coderops.dev/secret-type': 'coder-token' } },
        stringData: { token: sim.tokenFor('admin') },
      },
      {
        apiVersion: 'coderops.dev/v1alpha1',
        kind: 'CoderConnection',
        metadata: { name: 'default', namespace: NS },
        spec: { url: sim.url, tokenSecretRef: { name: 'coder-token', key: 'token' } },
      },
    ]),
  );
  log(`applying ${N} Workspaces`);
  for (let from = 0; from < N; from += CHUNK) {
    const chunk = Array.from({ length: Math.min(CHUNK, N - from) }, (_, k) => workspaceDoc(from + k, OWNERS, '8h', NS));
    await kubectl(['apply', '--server-side', '--field-manager=bench', '-f', '-'], multiDoc(chunk));
  }

  const kubeConfig = new SharedConnectionsKubeConfig();
  kubeConfig.loadFromFile(cp.kubeconfig);
  operator = new Operator({
    kubeConfig,
    namespaces: [NS],
    concurrency: Number(values.concurrency),
    resyncMs: 24 * 3600_000, // the resync below is started by hand
    deletionPolicy: 'Orphan',
    logger: pino({ level: 'silent' }),
    metrics: new OperatorMetrics(),
  });
  log(`operator from ${ROOT_UNDER_TEST} (${commit}); starting`);
  void operator.start();
  await until('the Workspace cache to sync', () => operator!.workspaceInformer.hasSynced(), 300_000);
  // The edit goes to the Workspace in the middle of the queue: half the keys are ahead of it in FIFO order.
  const startup = await timedEdit(Math.floor(N / 2), '4h');
  log(`start-up: edit Synced after ${startup.ms} ms (queued at the edit ${startup.queuedAtEdit}, when Synced ${startup.queuedAtSynced})`);
  const coldAdoptMs = await until('all Ready', allReady, 1_800_000);

  for (const ws of sim.state.workspaces.values()) ws.ttlMs = 7 * 3600_000; // drift all of them in Coder
  const resyncStarted = performance.now();
  const queued = await operator.resync();
  const resync = await timedEdit(Math.floor(N / 2) + 1, '5h');
  log(`resync queued ${queued}: edit Synced after ${resync.ms} ms (queued at the edit ${resync.queuedAtEdit})`);
  const drainMs = values['skip-drain']
    ? undefined
    : (await until('the resync to drain', () => operator!.queue.len() === 0 && operator!.queue.inFlight() === 0, 1_800_000),
      Math.round(performance.now() - resyncStarted));
  // What one kubectl call costs on this machine, to read the edit figures against.
  const k0 = performance.now();
  await kubectl(['get', 'workspaces.coderops.dev', wsName(0), '-n', NS, '-o', 'name']);
  const kubectlGetMs = Math.round(performance.now() - k0);
  const result = {
    commit,
    kubectlGetMs,
    n: N,
    concurrency: Number(values.concurrency),
    startupEditMs: startup.ms,
    startupEditAfterApplyMs: startup.afterApplyMs,
    startupQueuedAtEdit: startup.queuedAtEdit,
    startupQueuedAtSynced: startup.queuedAtSynced,
    coldAdoptAfterEditMs: coldAdoptMs,
    resyncQueued: queued,
    resyncEditMs: resync.ms,
    resyncEditAfterApplyMs: resync.afterApplyMs,
    resyncQueuedAtEdit: resync.queuedAtEdit,
    resyncQueuedAtSynced: resync.queuedAtSynced,
    resyncDrainMs: drainMs,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (values.out) await writeFile(values.out, `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await operator?.stop().catch(() => undefined);
  await sim.close();
  await cp.stop();
}
