// node bench/slow-tenant.ts [--timeout 2000] [--slow 4] [--workers 4] [--window 20000]
// Issue 18 item 6, measured: H tenants whose Coder accepts and never answers
// (H = --slow, one Workspace each, queued first) and one healthy tenant whose
// Workspace is queued behind them, reconciled by --workers workers the way
// the operator runs them (src/controller/operator.ts: WorkQueue, runWorkers,
// ConnectionSlots, the Reconciler and the connection registry), at function
// level with no cluster. Reported for the guarded operator (circuit breaker +
// per-connection slots) and for the same code with both switched off (what
// main did): how long the healthy tenant's reconcile waited, in ms and in
// request timeouts, and how many requests the hanging servers received in
// --window ms with every slow Workspace requeued at once after each failure.
// The request timeout is scaled down from the default 30 s so a run is short;
// the figures scale with it.
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CoderConnection, Workspace } from '../src/api/schema.ts';
import { CoderClient } from '../src/coder/client.ts';
import { ConnectionSlots } from '../src/controller/connection/slots.ts';
import { ConnectionRegistry } from '../src/controller/connection/registry.ts';
import { connectionIdOf } from '../src/controller/connection/lookup.ts';
import { Reconciler } from '../src/controller/workspace/reconciler.ts';
import { ALLOWED_URLS_ANNOTATION, SECRET_TYPE_CODER_TOKEN, SECRET_TYPE_LABEL } from '../src/controller/connection/token-secret.ts';
import { runWorkers } from '../src/kube/run-workers.ts';
import { WorkQueue } from '../src/kube/work-queue.ts';
import type { ExistingObjectWriter } from '../src/controller/kube-writer.ts';
import type { CoderApi } from '../src/coder/api.ts';

const { values } = parseArgs({
  options: {
    timeout: { type: 'string', default: '2000' },
    slow: { type: 'string', default: '4' },
    workers: { type: 'string', default: '4' },
    window: { type: 'string', default: '20000' },
  },
});
const TIMEOUT = Number(values.timeout);
const SLOW = Number(values.slow);
const WORKERS = Number(values.workers);
const WINDOW = Number(values.window);
const FAST = 'https://fast.example.com';

async function hangingServer(): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server: Server = createServer(() => void requests++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/** A Coder that answers at once with an empty deployment: enough for a healthy tenant's reconcile. */
function healthyCoder(): CoderApi {
  const user = { id: 'u', username: 'alice', email: 'a@x', created_at: '', status: 'active', roles: [], organization_ids: [] };
  return {
    buildInfo: async () => ({ version: 'v2.27.0' }),
    getUser: async () => user,
    forEachWorkspacePage: async () => undefined,
    listWorkspaces: async () => [],
  } as unknown as CoderApi;
}

async function run(guarded: boolean): Promise<{ waitedMs: number; requestsInWindow: number }> {
  const servers = await Promise.all(Array.from({ length: SLOW }, hangingServer));
  const workspaces = new Map<string, Workspace>();
  const connections = new Map<string, CoderConnection>();
  const add = (ns: string, url: string) => {
    workspaces.set(`${ns}/dev`, {
      apiVersion: 'coderops.dev/v1alpha1',
      kind: 'Workspace',
      metadata: { name: 'dev', namespace: ns, generation: 1, resourceVersion: '1' },
      spec: { owner: 'alice', template: 'docker', managementPolicies: ['Observe'] },
    });
    connections.set(`${ns}/default`, {
      apiVersion: 'coderops.dev/v1alpha1',
      kind: 'CoderConnection',
      metadata: { name: 'default', namespace: ns, generation: 1 },
      spec: { url, tokenSecretRef: { name: 'coder', key: 'token' } },
    });
  };
  servers.forEach((s, i) => add(`slow-${i}`, s.url));
  add('healthy', FAST);
  const kube: ExistingObjectWriter = {
    setFinalizers: async () => undefined,
    patchStatus: async () => undefined,
    event: async () => undefined,
    secretFinalizers: async () => undefined,
    setSecretFinalizers: async () => undefined,
    readSecret: async () => ({
      value: 'bench-token-0123456789',
      labels: { [SECRET_TYPE_LABEL]: SECRET_TYPE_CODER_TOKEN },
      annotations: { [ALLOWED_URLS_ANNOTATION]: [FAST, ...servers.map((s) => s.url)].join(' ') },
    }),
  };
  const logger = pino({ level: 'silent' });
  const registry = new ConnectionRegistry({
    readSecret: kube.readSecret,
    makeApi: (c) =>
      c.url === FAST
        ? healthyCoder()
        : new CoderClient({ url: c.url, token: c.token, timeoutMs: TIMEOUT, ...(guarded ? { circuitBreaker: c.breaker } : {}) }),
    logger,
    recheckMs: 0, // every look at a slow tenant checks its server again: the worst case
    breakerCooldownMs: TIMEOUT,
  });
  const reconciler = new Reconciler({
    caches: {
      workspace: (k) => workspaces.get(k),
      coderConnection: (k) => connections.get(k),
      clusterCoderConnection: () => undefined,
      namespaceLabels: () => ({}),
    },
    connections: registry,
    kube,
    settings: { deletionPolicy: 'Orphan' },
    telemetry: { logger },
  });
  const queue = new WorkQueue();
  // Warm fetch up first (its first use loads undici, ~0.8 s): a running operator has long done so.
  await fetch(servers[0]!.url, { signal: AbortSignal.timeout(100) }).catch(() => undefined);
  const t0 = performance.now();
  const slots = new ConnectionSlots({ suspect: (id) => guarded && registry.suspect(id), requeue: (k) => queue.add(k) });
  let healthyDone: () => void = () => {};
  const healthy = new Promise<void>((r) => (healthyDone = r));
  const workers = runWorkers(
    queue,
    WORKERS,
    async (key) => {
      const ws = workspaces.get(key);
      const result = await slots.run(ws ? connectionIdOf(ws) : undefined, key, () => reconciler.reconcile(key));
      if (key === 'healthy/dev') healthyDone();
      else if (result !== undefined) queue.add(key); // a slow tenant is looked at again at once: the worst case
      return result === undefined ? undefined : {};
    },
    logger,
  );
  for (let i = 0; i < SLOW; i++) queue.add(`slow-${i}/dev`);
  queue.add('healthy/dev');
  await healthy;
  const waitedMs = performance.now() - t0;
  const before = servers.reduce((n, s) => n + s.requests(), 0);
  await new Promise((r) => setTimeout(r, WINDOW));
  const requestsInWindow = servers.reduce((n, s) => n + s.requests(), 0) - before;
  queue.shutDown();
  await workers;
  await Promise.all(servers.map((s) => s.close()));
  return { waitedMs, requestsInWindow };
}

const guarded = await run(true);
const unguarded = await run(false);
const row = (name: string, r: { waitedMs: number; requestsInWindow: number }) =>
  `| ${name} | ${Math.round(r.waitedMs)} ms (${(r.waitedMs / TIMEOUT).toFixed(2)} timeouts) | ${r.requestsInWindow} |`;
console.log(
  [
    `slow tenants: ${SLOW}, workers: ${WORKERS}, request timeout: ${TIMEOUT} ms, window: ${WINDOW} ms, node ${process.version}`,
    '',
    `| operator | healthy tenant's reconcile waited | requests to the hanging servers in the window |`,
    '| --- | --- | --- |',
    row('breaker + per-connection slots (this branch)', guarded),
    row('neither (main)', unguarded),
  ].join('\n'),
);
