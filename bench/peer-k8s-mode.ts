// coder-k8s (github.com/coder/coder-k8s v0.1.0) beside cwo, on one real
// control plane against one real coderd (issue 24 item 4). coder-k8s serves
// CoderWorkspace objects from an aggregated API server that asks Coder on
// every request and keeps nothing; cwo's Workspaces are custom resources in
// etcd that the operator reconciles. Measured side by side:
//   kubectl get:  the same N Coder workspaces listed through each
//                 (`kubectl get workspaces.coderops.dev` and
//                 `kubectl get coderworkspaces.aggregation.coder.com`):
//                 wall time per kubectl run, Coder calls per run, CPU of
//                 kube-apiserver, the side's process and coderd;
//   start/stop:   M workspaces of each side stopped, then started again, by
//                 one `kubectl patch` per workspace, then by one
//                 `kubectl apply --server-side` of all M (both sides name it
//                 spec.running): client time, time until Coder has every
//                 build ended, time until `kubectl get` shows it, Coder calls;
//   status:       what each object shows right after the request and once
//                 the builds ended;
//   by hand:      all M stopped in Coder behind both sides' backs: whether
//                 spec.running still says true and whether they run again.
// Everything runs as the real-coderd tier starts it (test/coderd: loopback-only
// network namespace for coderd and the peer, socket-only PostgreSQL);
// kube-apiserver and etcd as the e2e tier starts them, plus the aggregation
// layer (test/peer/aggregation.ts). Each side reaches coderd through its own
// recording proxy, so the calls are counted per side.
import { type ChildProcess, execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { bootstrapCoderd, createTemplate, createUser, type Bootstrapped } from '../test/coderd/bootstrap.ts';
import { coderdBinaries, startCoderd } from '../test/coderd/coderd.ts';
import { createNetns } from '../test/coderd/netns.ts';
import { startPostgres } from '../test/coderd/postgres.ts';
import { startRecordingProxy, type RecordingProxy } from '../test/coderd/recording-proxy.ts';
import { startControlPlane } from '../test/control-plane/control-plane.ts';
import { freePort } from '../test/control-plane/processes.ts';
import { aggregationLayer, apiServiceObjects } from '../test/peer/aggregation.ts';
import { CODER_K8S_VERSION, coderK8sBinary, startCoderK8s } from '../test/peer/coder-k8s.ts';
import { eventually } from '../test/support/eventually.ts';
import type { ScenarioResult } from './cli-mode.ts';
import { multiDoc } from './fixtures.ts';
import { percentile, procCpuMs } from './lib.ts';
import { applyInChunks, type KubectlOk, NS, pollReady, prepareCluster, spawnOperator, stopOperator } from './operator-env.ts';
import { tallyCalls } from './peers.ts';

/** coder-k8s v0.1.0 pins github.com/coder/coder/v2 v2.30.0: the coderd it was built against. */
const CODERD_VERSION = 'v2.30.0';
const OWNERS = 8;
const TEMPLATE = 'docker';
const PEER_NS = 'coder-k8s-system';
const GROUP = 'aggregation.coder.com';
/** Inside the namespace, where the peer's recording proxy is exposed. */
const PROXY_INNER_PORT = 3901;
const OURS = 'workspaces.coderops.dev';
const THEIRS = `coderworkspaces.${GROUP}`;

const owner = (i: number) => `peer${i % OWNERS}`;

/** coderd's process: the `coder server` among the namespace's processes (for its CPU time). */
async function coderdPid(netns: string): Promise<number> {
  const { stdout } = await promisify(execFile)('ip', ['netns', 'pids', netns]);
  for (const pid of stdout.split(/\s+/).filter(Boolean).map(Number)) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv[0]?.endsWith('/coder') && argv[1] === 'server') return pid;
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no coder server process in ${netns}`);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface PeerK8sOptions {
  /** Workspaces both list (kubectl get). */
  n: number;
  /** Workspaces each side stops and starts. */
  startStop: number;
  /** kubectl get runs per side. */
  gets: number;
}

/** What the comparison reads of a workspace as coderd lists it. */
interface CoderWorkspace {
  name: string;
  latest_build: { transition: string; status: string };
}

/** What it reads of either side's object as `kubectl get -o json` prints it. */
interface KubeObject {
  metadata: { name: string; generation?: number };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown> & { conditions?: { type: string; status: string; reason?: string }[] };
}

interface Side {
  label: string;
  resource: string;
  proxy: RecordingProxy;
  /** Object names of its start/stop workspaces, and their Coder names. */
  names: string[];
  /** Its workspaces' names in Coder start with this. */
  coderPrefix: string;
  /** The i-th object as a declaration to apply. */
  declaration(i: number, running: boolean): object;
  /** Whether its kubectl view shows the end state of a transition. */
  shows(obj: KubeObject, running: boolean): boolean;
}

/** Creates n workspaces straight through Coder's API (rate limit bypassed: setup, not measured), 8 at a time. */
async function seed(b: Bootstrapped, templateId: string, names: string[], owners: string[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < names.length; i = next++) {
      await b.admin.request('POST', `/api/v2/users/${owners[i]}/workspaces`, { name: names[i], template_id: templateId });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** Every workspace whose name starts with prefix, once all n exist and their latest builds ended as `want`. */
async function coderSettled(
  b: Bootstrapped,
  prefix: string,
  n: number,
  want: 'start' | 'stop',
  timeoutMs: number,
): Promise<CoderWorkspace[]> {
  const status = want === 'start' ? 'running' : 'stopped';
  return eventually(
    `${n} workspaces ${prefix}* with a ${want} build ended`,
    async () => {
      const mine = ((await b.admin.workspaces()) as CoderWorkspace[]).filter((w) => w.name.startsWith(prefix));
      if (mine.length !== n) throw new Error(`${mine.length} of ${n} exist`);
      const failed = mine.filter((w) => w.latest_build.status === 'failed');
      if (failed.length > 0) throw new Error(`${failed.length} builds failed`);
      const done = mine.filter((w) => w.latest_build.transition === want && w.latest_build.status === status);
      if (done.length !== n) throw new Error(`${done.length} of ${n} ${status}`);
      return mine;
    },
    timeoutMs,
    { everyMs: 250 },
  );
}

async function items(ok: KubectlOk, resource: string): Promise<KubeObject[]> {
  return JSON.parse(await ok(['get', resource, '-n', NS, '-o', 'json'])).items;
}

/** One object's apiVersion/kind/metadata.name aside, as `kubectl get -o json` prints it, for the notes. */
function shape(obj: KubeObject): string {
  const { spec, status } = obj;
  const conditions = (status?.conditions ?? []).map((c) => `${c.type}=${c.status}${c.reason ? `(${c.reason})` : ''}`);
  const rest = { ...status };
  delete rest.conditions;
  return JSON.stringify({ spec, status: { ...rest, ...(conditions.length > 0 ? { conditions } : {}) } });
}

export async function runPeerK8s(opts: PeerK8sOptions, log: (s: string) => void): Promise<ScenarioResult[]> {
  const version = process.env.CWO_CODERD_VERSION ?? CODERD_VERSION;
  const bin = coderdBinaries(version);
  if (!existsSync(bin.coder) || !existsSync(bin.echotar)) {
    throw new Error(`coderd ${version} is not built: run bash test/coderd/build-coderd.sh ${version}`);
  }
  if (!existsSync(coderK8sBinary())) {
    throw new Error(`coder-k8s ${CODER_K8S_VERSION} is not built: run bash test/peer/build-coder-k8s.sh`);
  }
  const { n, startStop: m, gets } = opts;
  const results: ScenarioResult[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'cwo-bench-peer-k8s-'));
  // PostgreSQL runs as its own user and must reach its directory below this one.
  await chmod(dir, 0o755);
  const stops: (() => Promise<void>)[] = [];
  let operator: ChildProcess | undefined;
  const row = (scenario: string, count: number, extra: ScenarioResult['extra'], more: Partial<ScenarioResult> = {}): ScenarioResult => ({
    mode: 'peer-k8s',
    scenario,
    n: count,
    latencyMs: 0,
    ok: true,
    extra,
    notes: [],
    ...more,
  });
  try {
    const netns = await createNetns();
    stops.push(() => netns.close());
    const pg = await startPostgres(join(dir, 'pg'));
    stops.push(() => pg.stop());
    log(`peer-k8s: coderd ${version} in ${netns.name}`);
    const server = await startCoderd({ version, netns, pgUrl: await pg.createDatabase('coder_peer_k8s'), dir, allowRenames: false });
    stops.push(() => server.stop());
    const b = await bootstrapCoderd(server.url);
    for (let o = 0; o < OWNERS; o += 1) await createUser(b, owner(o));
    // No default auto-stop: `running: true` is then a wish both sides can hold.
    const template = await createTemplate(b, bin.echotar, TEMPLATE);
    const org = await b.admin.get(`/api/v2/organizations/${b.orgId}`);

    const aggregation = join(dir, 'aggregation');
    await mkdir(aggregation);
    const cp = await startControlPlane({ apiserverArgs: await aggregationLayer(aggregation) });
    stops.push(() => cp.stop());

    const ourProxy = await startRecordingProxy(server.url);
    stops.push(() => ourProxy.close());
    const theirProxy = await startRecordingProxy(server.url);
    stops.push(() => theirProxy.close());
    await netns.expose(Number(new URL(theirProxy.url).port), PROXY_INNER_PORT, dir);
    const peer = await startCoderK8s({
      netns,
      dir,
      coderUrl: `http://127.0.0.1:${PROXY_INNER_PORT}`,
      token: b.admin.token,
      namespace: NS,
    });
    stops.push(() => peer.stop());
    log(`peer-k8s: coder-k8s ${CODER_K8S_VERSION} serving on 127.0.0.1:${peer.port} (bridged from ${netns.name})`);

    const { kubectl, ok, kubeconfigs } = await prepareCluster(cp, { url: ourProxy.url, token: b.admin.token });
    await ok(
      ['apply', '-f', '-'],
      multiDoc(
        apiServiceObjects({ group: GROUP, version: 'v1alpha1', namespace: PEER_NS, service: 'coder-k8s-apiserver', port: peer.port }),
      ),
    );
    await ok(['wait', '--for=condition=Available', '--timeout=120s', `apiservice/v1alpha1.${GROUP}`]);

    const [metricsPort, probesPort] = [await freePort(), await freePort()];
    operator = spawnOperator({
      kubeconfig: kubeconfigs[0]!,
      name: 'cwo-peer-k8s',
      leaseId: 'cwo-peer-k8s',
      // Longer than the whole run: every Coder call the operator makes here follows a change.
      resync: '1h',
      metricsPort,
      probesPort,
      logFile: join(dir, 'operator.log'),
    });
    const alive = async () => {
      if (operator?.exitCode !== null) throw new Error(`the operator exited (${operator?.exitCode}); log: ${join(dir, 'operator.log')}`);
    };

    // 1. N workspaces in Coder, adopted by N Workspaces; coder-k8s sees the same N.
    log(`peer-k8s: creating ${n} workspaces in coderd (setup)`);
    const listNames = Array.from({ length: n }, (_, i) => `ls-${i}`);
    let t = performance.now();
    await seed(
      b,
      template.id,
      listNames,
      listNames.map((_, i) => owner(i)),
    );
    await coderSettled(b, 'ls-', n, 'start', 1_200_000);
    log(`peer-k8s: ${n} workspaces built in ${((performance.now() - t) / 1000).toFixed(0)} s; cwo adopts them`);
    ourProxy.reset();
    t = performance.now();
    await applyInChunks(ok, n, (i) => ({
      apiVersion: 'coderops.dev/v1alpha1',
      kind: 'Workspace',
      metadata: { name: listNames[i], namespace: NS },
      spec: { owner: owner(i), template: TEMPLATE },
    }));
    const adopted = await pollReady(kubectl, n, t, 900, alive);
    const adoptCalls = tallyCalls(ourProxy.calls);
    results.push(
      row(
        'setup: cwo adopts the N workspaces (Ready)',
        n,
        { ready: adopted.ready },
        {
          ok: adopted.ready === n,
          wallMs: adopted.readyMs,
          reads: adoptCalls.reads,
          writes: adoptCalls.writes,
          byRoute: adoptCalls.byRoute,
        },
      ),
    );

    // 2. kubectl get, side by side, alternating; the first run of each warms kubectl's discovery cache.
    log(`peer-k8s: kubectl get of ${n}, ${gets} runs per side`);
    const sides = [
      { label: 'cwo', resource: OURS, proxy: ourProxy, pid: operator.pid! },
      { label: 'coder-k8s', resource: THEIRS, proxy: theirProxy, pid: peer.pid },
    ];
    const walls: Record<string, number[]> = { cwo: [], 'coder-k8s': [] };
    const calls: Record<string, { method: string; path: string }[]> = { cwo: [], 'coder-k8s': [] };
    const cpu: Record<string, { apiserver: number; own: number; coderd: number }> = {
      cwo: { apiserver: 0, own: 0, coderd: 0 },
      'coder-k8s': { apiserver: 0, own: 0, coderd: 0 },
    };
    const coderd = await coderdPid(netns.name);
    const rowsSeen: Record<string, number> = {};
    const headers: Record<string, string> = {};
    for (const side of sides) await ok(['get', side.resource, '-n', NS]);
    for (let r = 0; r < gets; r += 1) {
      for (const side of sides) {
        side.proxy.reset();
        const [api0, own0, coderd0] = [procCpuMs(cp.pids.apiserver), procCpuMs(side.pid), procCpuMs(coderd)];
        const started = performance.now();
        const out = await ok(['get', side.resource, '-n', NS]);
        walls[side.label]!.push(performance.now() - started);
        cpu[side.label]!.apiserver += procCpuMs(cp.pids.apiserver) - api0;
        cpu[side.label]!.own += procCpuMs(side.pid) - own0;
        cpu[side.label]!.coderd += procCpuMs(coderd) - coderd0;
        calls[side.label]!.push(...side.proxy.calls);
        const lines = out.trimEnd().split('\n');
        headers[side.label] = lines[0]!.replace(/\s+/g, ' ');
        rowsSeen[side.label] = lines.length - 1;
      }
    }
    for (const side of sides) {
      const w = walls[side.label]!;
      const tally = tallyCalls(calls[side.label]!);
      results.push(
        row(
          `kubectl get: ${side.label} (${side.resource})`,
          n,
          {
            runs: gets,
            rows: rowsSeen[side.label]!,
            p50Ms: Math.round(percentile(w, 50)),
            maxMs: Math.round(Math.max(...w)),
            minMs: Math.round(Math.min(...w)),
            coderCallsPerGet: tally.total / gets,
            apiserverCpuMsPerGet: Math.round(cpu[side.label]!.apiserver / gets),
            coderdCpuMsPerGet: Math.round(cpu[side.label]!.coderd / gets),
            [side.label === 'cwo' ? 'operatorCpuMsPerGet' : 'peerCpuMsPerGet']: Math.round(cpu[side.label]!.own / gets),
          },
          {
            ok: rowsSeen[side.label] === n,
            wallMs: percentile(w, 50),
            reads: tally.reads,
            writes: tally.writes,
            byRoute: tally.byRoute,
            notes: [`columns: ${headers[side.label]}`],
          },
        ),
      );
    }

    // 3. Start/stop of M workspaces per side, each made by its own front door, running to begin with.
    log(`peer-k8s: ${m} workspaces per side for start/stop`);
    const ours: Side = {
      label: 'cwo',
      resource: OURS,
      proxy: ourProxy,
      names: Array.from({ length: m }, (_, i) => `op-ss-${i}`),
      coderPrefix: 'op-ss-',
      declaration: (i, running) => ({
        apiVersion: 'coderops.dev/v1alpha1',
        kind: 'Workspace',
        metadata: { name: `op-ss-${i}`, namespace: NS },
        spec: { owner: owner(i), template: TEMPLATE, running },
      }),
      shows: (o, running) =>
        o.status?.running === running &&
        o.status?.observedGeneration === o.metadata.generation &&
        (o.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    };
    const theirs: Side = {
      label: 'coder-k8s',
      resource: THEIRS,
      proxy: theirProxy,
      names: Array.from({ length: m }, (_, i) => `${org.name}.${owner(i)}.k8s-ss-${i}`),
      coderPrefix: 'k8s-ss-',
      declaration: (i, running) => ({
        apiVersion: `${GROUP}/v1alpha1`,
        kind: 'CoderWorkspace',
        metadata: { name: `${org.name}.${owner(i)}.k8s-ss-${i}`, namespace: NS },
        spec: { organization: org.name, templateName: TEMPLATE, running },
      }),
      shows: (o, running) => o.spec?.running === running && o.status?.latestBuildStatus === (running ? 'running' : 'stopped'),
    };
    await ok(['apply', '--server-side', '--field-manager=bench', '-f', '-'], multiDoc(ours.names.map((_, i) => ours.declaration(i, true))));
    // coder-k8s creates on POST; kubectl create sends one per object.
    await ok(['create', '-f', '-'], multiDoc(theirs.names.map((_, i) => theirs.declaration(i, true))));
    await coderSettled(b, 'op-ss-', m, 'start', 600_000);
    await coderSettled(b, 'k8s-ss-', m, 'start', 600_000);
    await pollReady(kubectl, n + m, performance.now(), 600, alive);

    /**
     * One transition of one side's M workspaces, asked for `how`: one `kubectl patch` per workspace, or
     * one `kubectl apply --server-side` of all M (the GitOps path). A side that refuses gives a failed row.
     */
    const transition = async (side: Side, running: boolean, how: 'patch' | 'apply'): Promise<ScenarioResult> => {
      const scenario = `${running ? 'start' : 'stop'} by ${how === 'patch' ? `kubectl patch ×${m}` : 'one kubectl apply --server-side'}: ${side.label}`;
      await sleep(2_000);
      side.proxy.reset();
      const t0 = performance.now();
      try {
        if (how === 'patch') {
          const patch = JSON.stringify({ spec: { running } });
          for (const name of side.names) await ok(['patch', side.resource, name, '-n', NS, '--type=merge', '-p', patch]);
        } else {
          // As a GitOps controller applies (Flux: force): the patches before were another field manager's.
          await ok(
            ['apply', '--server-side', '--force-conflicts', '--field-manager=bench', '-f', '-'],
            multiDoc(side.names.map((_, i) => side.declaration(i, running))),
          );
        }
      } catch (error) {
        return row(scenario, m, {}, { ok: false, notes: [String((error as Error).message ?? error)] });
      }
      const clientMs = performance.now() - t0;
      // Calls so far are the requests' own (coder-k8s works inside each request; cwo's operator after it).
      const duringRequests = side.proxy.calls.length;
      // The object asked for last, at once: what a user sees right after asking.
      const last = JSON.parse(await ok(['get', side.resource, side.names.at(-1)!, '-n', NS, '-o', 'json']));
      await coderSettled(b, side.coderPrefix, m, running ? 'start' : 'stop', 600_000);
      const coderMs = performance.now() - t0;
      const shownAt = await eventually(
        `${side.label}: kubectl get shows all ${m} ${running ? 'running' : 'stopped'}`,
        async () => {
          const mine = (await items(ok, side.resource)).filter((o) => side.names.includes(o.metadata.name));
          return mine.length === m && mine.every((o) => side.shows(o, running)) ? performance.now() - t0 : undefined;
        },
        600_000,
        { everyMs: 500 },
      );
      const after = JSON.parse(await ok(['get', side.resource, side.names.at(-1)!, '-n', NS, '-o', 'json']));
      // What the side still calls once the builds ended (status follow-up), then the tally.
      await sleep(3_000);
      // Every call through cwo's proxy is the operator's (kubectl reads etcd); after the requests, every
      // call through coder-k8s's proxy is one of the bench's own kubectl reads, each of which asks Coder.
      const work = side.label === 'cwo' ? side.proxy.calls : side.proxy.calls.slice(0, duringRequests);
      const tally = tallyCalls(work);
      return row(
        scenario,
        m,
        {
          kubectlRuns: how === 'patch' ? m : 1,
          clientMs: Math.round(clientMs),
          allBuildsEndedMs: Math.round(coderMs),
          kubectlShowsMs: Math.round(shownAt),
          callsPerWorkspace: Math.round((tally.total / m) * 10) / 10,
          callsDuringRequests: duringRequests,
          callsByKubectlReads: side.proxy.calls.length - work.length,
        },
        {
          wallMs: coderMs,
          reads: tally.reads,
          writes: tally.writes,
          byRoute: tally.byRoute,
          notes: [`${side.names.at(-1)} right after the request: ${shape(last)}`, `once kubectl shows the end state: ${shape(after)}`],
        },
      );
    };
    for (const how of ['patch', 'apply'] as const)
      for (const running of [false, true])
        for (const side of [ours, theirs]) {
          log(`peer-k8s: ${running ? 'start' : 'stop'} by kubectl ${how}: ${side.label}`);
          results.push(await transition(side, running, how));
        }

    // 4. Every one of them stopped in Coder by hand (the UI, an auto-stop): what each side's running says then.
    // cwo acts at its next reconcile; the bench asks for one (the reconcile-requested-at annotation) rather
    // than wait out --resync. coder-k8s has nothing that acts; its objects are read after 10 s.
    for (const side of [ours, theirs]) {
      log(`peer-k8s: stops made in Coder by hand: ${side.label}`);
      const live = (await b.admin.workspaces()) as (CoderWorkspace & { id: string })[];
      const targets = live.filter((w) => w.name.startsWith(side.coderPrefix));
      await Promise.all(targets.map((w) => b.admin.request('POST', `/api/v2/workspaces/${w.id}/builds`, { transition: 'stop' })));
      await coderSettled(b, side.coderPrefix, m, 'stop', 600_000);
      await sleep(2_000);
      side.proxy.reset();
      const t0 = performance.now();
      if (side.label === 'cwo') {
        await ok(['annotate', OURS, ...side.names, '-n', NS, `coderops.dev/reconcile-requested-at=${Date.now()}`, '--overwrite']);
        await coderSettled(b, side.coderPrefix, m, 'start', 600_000);
      } else {
        await sleep(10_000);
      }
      const mine = (await items(ok, side.resource)).filter((o) => side.names.includes(o.metadata.name));
      const inCoder = ((await b.admin.workspaces()) as CoderWorkspace[]).filter((w) => w.name.startsWith(side.coderPrefix));
      const tally = tallyCalls(side.proxy.calls);
      const specRunning = mine.filter((o) => o.spec?.running === true).length;
      const runningInCoder = inCoder.filter((w) => w.latest_build.transition === 'start' && w.latest_build.status === 'running').length;
      results.push(
        row(
          `a stop made in Coder by hand${side.label === 'cwo' ? ', then a reconcile' : ', 10 s later'}: ${side.label}`,
          m,
          { specRunningTrue: specRunning, runningInCoder, afterMs: Math.round(performance.now() - t0) },
          {
            wallMs: performance.now() - t0,
            reads: tally.reads,
            writes: tally.writes,
            byRoute: tally.byRoute,
            notes: [`${side.names.at(-1)}: ${shape(mine.find((o) => o.metadata.name === side.names.at(-1))!)}`],
          },
        ),
      );
    }
    return results;
  } catch (error) {
    results.push(row('setup', opts.n, {}, { ok: false, notes: [String((error as Error).stack ?? error)] }));
    return results;
  } finally {
    await stopOperator(operator);
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
