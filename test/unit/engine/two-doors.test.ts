// The two front doors over the one engine entry report the same truth: the
// same scenarios run through the CLI (runApply, carrying the statuses from
// one run to the next as sync does) and through the operator (Reconciler over
// a fake Kubernetes, a resync before every pass), each against its own
// simulator seeded alike and driven by the same clock; after every pass the
// Synced and Ready conditions (status, reason, message) must be equal.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Workspace, WorkspaceStatus } from '../../../src/api/schema.ts';
import { CoderClient } from '../../../src/coder/client.ts';
import { OwnerTokenBroker } from '../../../src/coder/owner-tokens.ts';
import { startCoderSimulator, type CoderSimulator } from '../../../src/coder-sim/index.ts';
import { aclOf } from '../../../src/coder-sim/handlers/workspace-sharing.ts';
import { ConnectionRegistry, type ConnectionRef } from '../../../src/controller/connection/registry.ts';
import { loadFromText } from '../../../src/gitops/load.ts';
import { runApply } from '../../../src/gitops/run.ts';
import { stringify } from 'yaml';
import { SEED } from '../../integration/seed.ts';
import { coderConnection } from '../../support/coder-connection.ts';
import { workspaceManifest } from '../../support/workspace.ts';
import { FakeKube } from '../controller/fake-kube.ts';
import { teamReconciler } from '../controller/team-reconciler.ts';

const KEY = 'team-a/dev';
const T0 = Date.parse('2026-11-10T12:00:00.000Z');
/** Longer than a simulated build: every pass sees the builds of the one before finished. */
const PASS_MS = 60_000;
const silent = pino({ level: 'silent' });

type Spec = Workspace['spec'];
/** One pass: the spec as declared, and what someone changes in Coder just before it. */
interface Pass {
  spec: Spec;
  inCoder?: (sim: CoderSimulator) => void;
}
type Seen = { status: string; reason: string; message: string };

const base: Spec = { owner: 'alice', template: 'docker', name: 'alice-dev', ttl: '8h' };

function setTtl(username: string, name: string, ttlMs: number): (sim: CoderSimulator) => void {
  return (sim) => {
    const ws = sim.state.findLiveWorkspace(sim.state.findUser(username)!.id, name);
    ws!.ttlMs = ttlMs;
  };
}

const shared: Spec = { ...base, sharing: { users: [{ name: 'bob', role: 'use' }] } };

function shareWith(owner: string, name: string, username: string): (sim: CoderSimulator) => void {
  return (sim) => {
    const ws = sim.state.findLiveWorkspace(sim.state.findUser(owner)!.id, name);
    aclOf(ws!).userAcl.set(sim.state.findUser(username)!.id, 'use');
  };
}

const carol: Spec = { owner: 'carol', template: 'docker', name: 'carol-scratch', ttl: '4h' };

/** Gives the docker template's version two presets and carol's workspace, stopped, the first. */
function withPresets(sim: CoderSimulator): void {
  const ws = sim.state.findLiveWorkspace(sim.state.findUser('carol')!.id, 'carol-scratch')!;
  const latest = ws.builds.at(-1)!;
  const version = sim.state.versions.get(latest.templateVersionId)!;
  version.presets.push(
    { id: '6a000000-0000-4000-8000-000000000001', name: 'small', isDefault: false, parameters: [] },
    { id: '6a000000-0000-4000-8000-000000000002', name: 'large', isDefault: false, parameters: [] },
  );
  latest.transition = 'stop';
  latest.presetId = '6a000000-0000-4000-8000-000000000001';
}

const scenarios: Array<{ name: string; passes: Pass[]; last: { Synced: string; Ready: string } }> = [
  {
    name: 'create, then a pass with nothing to do',
    passes: [{ spec: base }, { spec: base }, { spec: base }],
    last: { Synced: 'Created', Ready: 'Ready' },
  },
  {
    name: 'adopt a matching workspace, then a pass with nothing to do',
    passes: [
      { spec: { owner: 'carol', template: 'docker', name: 'carol-scratch', ttl: '4h' } },
      { spec: { owner: 'carol', template: 'docker', name: 'carol-scratch', ttl: '4h' } },
    ],
    // Binding to a workspace that already matches changes nothing in Coder: UpToDate from the first pass.
    last: { Synced: 'UpToDate', Ready: 'Ready' },
  },
  {
    name: 'a spec change updates; the pass after keeps Updated',
    passes: [{ spec: base }, { spec: { ...base, ttl: '4h' } }, { spec: { ...base, ttl: '4h' } }],
    last: { Synced: 'Updated', Ready: 'Ready' },
  },
  {
    name: 'drift made in Coder is corrected; the pass after keeps the reason',
    passes: [{ spec: base }, { spec: base, inCoder: setTtl('alice', 'alice-dev', 3_600_000) }, { spec: base }],
    last: { Synced: 'Updated', Ready: 'Ready' },
  },
  {
    // The ACL is read outside the list (one GET per declaration that manages it), in both doors.
    name: 'sharing: granted, an entry added in Coder is taken out again, then quiet',
    passes: [{ spec: shared }, { spec: shared, inCoder: shareWith('alice', 'alice-dev', 'carol') }, { spec: shared }],
    last: { Synced: 'Updated', Ready: 'Ready' },
  },
  {
    name: 'sharing on a Coder with the experiment off: the same reason from both doors',
    passes: [{ spec: base, inCoder: (sim) => sim.state.experiments.delete('workspace-sharing') }, { spec: shared }, { spec: shared }],
    last: { Synced: 'SharingUnavailable', Ready: 'SharingUnavailable' },
  },
  {
    // (A change alone is a build, which this clock never lets end: test/integration/cli-preset.test.ts and the
    // operator's test/unit/controller/lifecycle.test.ts follow it through.)
    name: 'preset: the one the build has is quiet; a name the version lacks is PresetNotFound in both',
    passes: [
      { spec: { ...carol, preset: 'small' }, inCoder: withPresets },
      { spec: { ...carol, preset: 'huge' } },
      { spec: { ...carol, preset: 'huge' } },
    ],
    last: { Synced: 'PresetNotFound', Ready: 'PresetNotFound' },
  },
  {
    name: 'a template Coder does not have fails the same way twice',
    passes: [{ spec: { ...base, template: 'no-such-template' } }, { spec: { ...base, template: 'no-such-template' } }],
    last: { Synced: 'NotFound', Ready: 'NotFound' },
  },
];

let now = T0;
let dir: string;
const sims: CoderSimulator[] = [];
beforeEach(async () => {
  now = T0;
  dir = await mkdtemp(join(tmpdir(), 'cwo-two-doors-'));
});
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

async function simulator(): Promise<CoderSimulator> {
  const sim = await startCoderSimulator({ seed: SEED, clock: () => now, buildDurationMs: 1_000, experiments: ['workspace-sharing'] });
  sims.push(sim);
  return sim;
}

function conditions(status: WorkspaceStatus | undefined): Record<string, Seen | undefined> {
  const of = (type: string) => {
    const c = status?.conditions?.find((x) => x.type === type);
    return c ? { status: c.status, reason: c.reason, message: c.message } : undefined;
  };
  return { Synced: of('Synced'), Ready: of('Ready') };
}

/** The CLI door: one apply per pass, with the statuses of the last run as `sync` carries them. */
async function cliDoor(): Promise<{ sim: CoderSimulator; pass(spec: Spec): Promise<Record<string, Seen | undefined>> }> {
  const sim = await simulator();
  const api = new CoderClient({ url: sim.url, token: sim.tokenFor('admin'), bypassRateLimit: true });
  const me = await api.getUser('me');
  const owners = new OwnerTokenBroker({ admin: api, selfUser: { id: me.id, username: me.username } });
  const file = join(dir, 'ws.yaml');
  let previous: Record<string, WorkspaceStatus> = {};
  return {
    sim,
    async pass(spec) {
      const text = stringify(workspaceManifest('dev', spec));
      const loaded = loadFromText(file, text);
      expect(loaded.errors).toEqual([]);
      const report = await runApply({
        declarations: loaded.workspaces,
        paths: [file],
        api,
        owners,
        coderUrl: sim.url,
        statePath: join(dir, 'state.json'),
        prune: false,
        defaultDeletionPolicy: 'Orphan',
        concurrency: 1,
        deleteTimeoutMs: 10_000,
        previous,
        now: () => new Date(now),
      });
      previous = Object.fromEntries(report.statuses);
      return conditions(report.statuses.get(KEY));
    },
  };
}

/** The operator door: a resync (one list) and one reconcile per pass, over a fake Kubernetes. */
async function operatorDoor(): Promise<{ sim: CoderSimulator; pass(spec: Spec): Promise<Record<string, Seen | undefined>> }> {
  const sim = await simulator();
  const kube = new FakeKube([]);
  const connection = coderConnection({ url: sim.url });
  const ref: ConnectionRef = {
    id: 'CoderConnection/team-a/default',
    kind: 'CoderConnection',
    name: 'default',
    secretNamespace: 'team-a',
    spec: connection.spec,
  };
  const registry = new ConnectionRegistry({
    readSecret: () => kube.readSecret(),
    makeApi: () => new CoderClient({ url: sim.url, token: sim.tokenFor('admin'), bypassRateLimit: true }),
    logger: silent,
    now: () => now,
  });
  const reconciler = teamReconciler(kube, connection, registry, () => new Date(now));
  let generation = 0;
  return {
    sim,
    async pass(spec) {
      const current = kube.get(KEY);
      const changed = JSON.stringify(current?.spec) !== JSON.stringify(spec);
      if (changed) generation++;
      kube.put({
        apiVersion: 'coderops.dev/v1alpha1',
        kind: 'Workspace',
        metadata: { name: 'dev', namespace: 'team-a', generation, resourceVersion: `g${generation}`, uid: 'uid-1' },
        spec,
        ...(current?.status ? { status: current.status } : {}),
      });
      await registry.resync([ref]);
      await reconciler.reconcile(KEY);
      return conditions(kube.get(KEY)?.status);
    },
  };
}

describe('the CLI and the operator report the same conditions', () => {
  it.each(scenarios)('$name', async ({ passes, last }) => {
    const cli = await cliDoor();
    const operator = await operatorDoor();
    let seen: Record<string, Seen | undefined> = {};
    for (const [i, { spec, inCoder }] of passes.entries()) {
      now += PASS_MS;
      inCoder?.(cli.sim);
      inCoder?.(operator.sim);
      seen = await cli.pass(spec);
      expect(await operator.pass(spec), `pass ${i + 1}`).toEqual(seen);
    }
    expect({ Synced: seen.Synced?.reason, Ready: seen.Ready?.reason }).toEqual(last);
  });
});
