// What the two peer benches on a real coderd (coderd-peer-mode.ts,
// coderd-rollout-peer-mode.ts) share: the coderd binary they run, the coderd,
// users and recording proxy they start in a network namespace, waiting until
// a fleet's builds have ended, and a result row from the calls the proxy saw.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { bootstrapCoderd, createUser } from '../test/coderd/bootstrap.ts';
import type { CoderApi } from '../test/coderd/coder-api.ts';
import { coderdBinaries, pinnedCoderdVersions, startCoderd } from '../test/coderd/coderd.ts';
import { createNetns, type Netns } from '../test/coderd/netns.ts';
import { startPostgres } from '../test/coderd/postgres.ts';
import { type RecordingProxy, startRecordingProxy } from '../test/coderd/recording-proxy.ts';
import { eventually } from '../test/support/eventually.ts';
import type { ScenarioResult } from './cli-mode.ts';
import { type CallTally, tallyCalls } from './peers.ts';

/** The coderd of CWO_CODERD_VERSION (default: the first pinned), already built. */
export function builtCoderd(): { version: string; bin: ReturnType<typeof coderdBinaries> } {
  const version = process.env.CWO_CODERD_VERSION ?? pinnedCoderdVersions()[0]!;
  const bin = coderdBinaries(version);
  if (!existsSync(bin.coder) || !existsSync(bin.echotar)) {
    throw new Error(`coderd ${version} is not built: run bash test/coderd/build-coderd.sh ${version}`);
  }
  return { version, bin };
}

/** Every workspace whose name starts with prefix, once there are n and none of their builds is still under way. */
export async function settledWorkspaces<W extends { name: string; latest_build: { status: string } }>(
  admin: CoderApi,
  prefix: string,
  n: number,
  wait: { timeoutMs: number; everyMs: number },
): Promise<W[]> {
  return eventually(
    `${n} workspaces ${prefix}* with their builds ended`,
    async () => {
      const mine = ((await admin.workspaces()) as W[]).filter((w) => w.name.startsWith(prefix));
      if (mine.length !== n) throw new Error(`${mine.length} of ${n} exist`);
      const busy = mine.filter((w) => ['pending', 'starting', 'stopping'].includes(w.latest_build.status));
      if (busy.length > 0) throw new Error(`${busy.length} builds under way`);
      return mine;
    },
    wait.timeoutMs,
    { everyMs: wait.everyMs },
  );
}

/** One peers row: the proxy's calls tallied, with what else the mode counts from them. */
export function peerRow(
  scenario: string,
  n: number,
  wallMs: number,
  proxy: RecordingProxy,
  ok: boolean,
  extra: (t: CallTally) => ScenarioResult['extra'] = () => ({}),
): ScenarioResult {
  const t = tallyCalls(proxy.calls);
  return {
    mode: 'peers',
    scenario,
    n,
    latencyMs: 0,
    ok,
    wallMs,
    reads: t.reads,
    writes: t.writes,
    byRoute: t.byRoute,
    extra: { calls: t.total, ...extra(t) },
    notes: [],
  };
}

/** A coderd for a peers run, in its own loopback-only network namespace, with the clients' home and environment. */
export interface PeerCoderd {
  netns: Netns;
  bootstrap: Awaited<ReturnType<typeof bootstrapCoderd>>;
  /** Records every call the clients make; they reach coderd only through it. */
  proxy: RecordingProxy;
  /** The proxy's address inside the namespace: the clients' CODER_URL. */
  url: string;
  home: string;
  env: Record<string, string>;
}

/**
 * PostgreSQL, coderd (its first user the admin) and the given users, and the
 * recording proxy exposed inside the namespace; every stop is pushed onto
 * stops, for the caller to run in reverse whatever happens.
 */
export async function startPeerCoderd(o: {
  label: string;
  version: string;
  dir: string;
  database: string;
  users: string[];
  proxyInnerPort: number;
  stops: (() => Promise<void>)[];
  log: (s: string) => void;
}): Promise<PeerCoderd> {
  const netns = await createNetns();
  o.stops.push(() => netns.close());
  const pg = await startPostgres(join(o.dir, 'pg'));
  o.stops.push(() => pg.stop());
  o.log(`${o.label}: coderd ${o.version} in ${netns.name}`);
  const server = await startCoderd({
    version: o.version,
    netns,
    pgUrl: await pg.createDatabase(o.database),
    dir: o.dir,
    allowRenames: false,
  });
  o.stops.push(() => server.stop());
  const bootstrap = await bootstrapCoderd(server.url);
  for (const user of o.users) await createUser(bootstrap, user);
  const proxy = await startRecordingProxy(server.url, { webSockets: true });
  o.stops.push(() => proxy.close());
  await netns.expose(Number(new URL(proxy.url).port), o.proxyInnerPort, o.dir);
  const url = `http://127.0.0.1:${o.proxyInnerPort}`;
  const home = join(o.dir, 'client-home');
  await mkdir(home, { recursive: true });
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    CODER_CONFIG_DIR: join(home, 'coder-config'),
    CODER_URL: url,
    CODER_SESSION_TOKEN: bootstrap.admin.token,
  };
  return { netns, bootstrap, proxy, url, home, env };
}
