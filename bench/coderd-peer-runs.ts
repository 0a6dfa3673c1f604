// What the two peer benches on a real coderd (coderd-peer-mode.ts,
// coderd-rollout-peer-mode.ts) share: the coderd binary they run, waiting
// until a fleet's builds have ended, and a result row from the calls the
// tier's recording proxy saw.
import { existsSync } from 'node:fs';
import type { CoderApi } from '../test/coderd/coder-api.ts';
import { coderdBinaries, pinnedCoderdVersions } from '../test/coderd/coderd.ts';
import type { RecordingProxy } from '../test/coderd/recording-proxy.ts';
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
