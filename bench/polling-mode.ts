// Per-resource polling against list-based resync, on the simulator, per hour
// of steady state (nothing changes; every workspace matches its declaration).
//   polling: what a Crossplane-style provider does by default: every managed
//            resource observed on its own every poll interval (1 minute), one
//            `GET /api/v2/workspaces/{id}` each, 10 at a time;
//   list:    what cwo's operator and `sync` do on every resync: one paginated
//            `GET /api/v2/workspaces` pass (Snapshot.list, the product's own
//            code), matched in memory.
// Both passes run in this process with the product's CoderClient against the
// simulator in its own child; the CPU of each side is measured around the
// passes (process.cpuUsage here, process.resourceUsage in the child), and the
// calls are the simulator's own record. Figures per hour = per pass × passes
// per hour: 60 for a 1-minute poll, 60 / 6 for a resync every 1 minute / the
// operator's default 10 minutes.
import { parseDuration } from '../src/api/duration.ts';
import { CoderClient } from '../src/coder/client.ts';
import { Snapshot, toObserved } from '../src/engine/observe.ts';
import type { ScenarioResult } from './cli-mode.ts';
import { OWNERS } from './cli-mode.ts';
import { startSim, summarize, type SimHandle } from './lib.ts';
import { passesPerHour, ratio } from './peers.ts';

/** Crossplane's default poll interval (every managed resource observed each minute). */
const POLL_INTERVAL = '1m';
/** Observations in flight at once: it sets a pass's wall time, not its calls or CPU. */
const POLL_CONCURRENCY = 10;
/** The operator's default --resync (docs/cli.md, `run`). */
const OPERATOR_RESYNC = '10m';
const LIST_PASSES = 5;

interface PassCost {
  passes: number;
  wallMs: number;
  clientCpuMs: number;
  serverCpuMs: number;
  calls: number;
  byRoute: Record<string, number>;
}

async function simCpuMs(sim: SimHandle): Promise<number> {
  const u = await sim.usage();
  return u.userMs + u.systemMs;
}

async function measure(sim: SimHandle, passes: number, pass: () => Promise<void>): Promise<PassCost> {
  await sim.reset();
  const server0 = await simCpuMs(sim);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < passes; i += 1) await pass();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const serverCpuMs = (await simCpuMs(sim)) - server0;
  const calls = summarize(await sim.calls());
  return { passes, wallMs, clientCpuMs: (cpu.user + cpu.system) / 1000, serverCpuMs, calls: calls.total, byRoute: calls.byRoute };
}

/** One poll pass: each workspace read by id and reduced as the engine reduces a listed one. */
async function pollPass(client: CoderClient, ids: string[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      toObserved(await client.getWorkspace(id), false);
    }
  };
  await Promise.all(Array.from({ length: POLL_CONCURRENCY }, worker));
}

function hourly(cost: PassCost, perHour: number) {
  const f = perHour / cost.passes;
  return {
    callsPerHour: Math.round(cost.calls * f),
    clientCpuSPerHour: (cost.clientCpuMs * f) / 1000,
    serverCpuSPerHour: (cost.serverCpuMs * f) / 1000,
  };
}

export async function runPollingComparison(n: number, log: (s: string) => void): Promise<ScenarioResult[]> {
  const sim = await startSim({ n, owners: OWNERS, latencyMs: 0, existing: n, buildDurationMs: 200 });
  try {
    // Rate limits off on both sides: the comparison is of work, not of waiting.
    const client = new CoderClient({ url: sim.url, token: sim.token, bypassRateLimit: true, requestsPerMinute: 1_000_000 });
    const ids = [...(await Snapshot.list(client)).byId.keys()];
    if (ids.length !== n) throw new Error(`simulator lists ${ids.length} workspaces, expected ${n}`);
    // Warm both paths once (JIT, keep-alive sockets), untimed.
    await pollPass(client, ids.slice(0, 200));
    await Snapshot.list(client);

    log(`polling n=${n}: one GET per workspace, ${POLL_CONCURRENCY} at a time`);
    const pollPasses = n <= 1000 ? 3 : 1;
    const poll = await measure(sim, pollPasses, () => pollPass(client, ids));
    log(`polling n=${n}: list pass × ${LIST_PASSES}`);
    const list = await measure(sim, LIST_PASSES, async () => void (await Snapshot.list(client)));

    const pollHour = hourly(poll, passesPerHour(parseDuration(POLL_INTERVAL)));
    const listSameFreshness = hourly(list, passesPerHour(parseDuration(POLL_INTERVAL)));
    const listDefault = hourly(list, passesPerHour(parseDuration(OPERATOR_RESYNC)));
    const cpu = (h: { clientCpuSPerHour: number; serverCpuSPerHour: number }) => h.clientCpuSPerHour + h.serverCpuSPerHour;
    const base = { n, latencyMs: 0, mode: 'peers' as const };
    const pollRow: ScenarioResult = {
      ...base,
      scenario: `per-resource poll every ${POLL_INTERVAL}`,
      ok: poll.calls === n * pollPasses,
      wallMs: poll.wallMs / poll.passes,
      cpuMs: poll.clientCpuMs / poll.passes,
      reads: poll.calls / poll.passes,
      writes: 0,
      byRoute: poll.byRoute,
      extra: { ...pollHour, serverCpuMsPerPass: Math.round(poll.serverCpuMs / poll.passes), passesMeasured: poll.passes },
      notes: [
        `one GET /api/v2/workspaces/{id} per workspace, ${POLL_CONCURRENCY} in flight; ` +
          `hour = ${passesPerHour(parseDuration(POLL_INTERVAL))} passes`,
      ],
    };
    const listRow: ScenarioResult = {
      ...base,
      scenario: `list resync every ${POLL_INTERVAL} (same freshness)`,
      ok: list.calls === Math.ceil(n / client.listPageSize) * LIST_PASSES,
      wallMs: list.wallMs / list.passes,
      cpuMs: list.clientCpuMs / list.passes,
      reads: list.calls / list.passes,
      writes: 0,
      byRoute: list.byRoute,
      extra: {
        ...listSameFreshness,
        serverCpuMsPerPass: Math.round(list.serverCpuMs / list.passes),
        passesMeasured: list.passes,
        callRatio: ratio(pollHour.callsPerHour, listSameFreshness.callsPerHour),
        cpuRatio: ratio(cpu(pollHour), cpu(listSameFreshness)),
      },
      notes: [`Snapshot.list: GET /api/v2/workspaces pages of ${client.listPageSize}`],
    };
    const defaultRow: ScenarioResult = {
      ...base,
      scenario: `list resync every ${OPERATOR_RESYNC} (operator default)`,
      ok: listRow.ok,
      reads: list.calls / list.passes,
      writes: 0,
      extra: {
        ...listDefault,
        callRatio: ratio(pollHour.callsPerHour, listDefault.callsPerHour),
        cpuRatio: ratio(cpu(pollHour), cpu(listDefault)),
      },
      notes: ['the same measured list passes, scaled to the operator default --resync'],
    };
    return [pollRow, listRow, defaultRow];
  } finally {
    await sim.close();
  }
}

/**
 * The operator's real resync, from this run's operator-mode `idle` rows (one
 * measured pass: its reads and the CPU of the pass alone), scaled to the
 * default --resync and set against the per-resource poll of the same N.
 */
export function operatorResyncRows(results: readonly ScenarioResult[]): ScenarioResult[] {
  const rows: ScenarioResult[] = [];
  const perHour = passesPerHour(parseDuration(OPERATOR_RESYNC));
  for (const idle of results.filter((r) => r.mode === 'operator' && r.scenario === 'idle' && r.ok)) {
    const poll = results.find((r) => r.mode === 'peers' && r.scenario.startsWith('per-resource poll') && r.n === idle.n);
    const reads = Number(idle.extra.readsPerPass);
    const cpuMs = Number(idle.extra.cpuPassOnlyMs);
    if (!poll || !(reads > 0) || !(cpuMs > 0)) continue;
    const callsPerHour = reads * perHour;
    const clientCpuSPerHour = (cpuMs * perHour) / 1000;
    rows.push({
      mode: 'peers',
      scenario: `operator resync every ${OPERATOR_RESYNC} (measured)`,
      n: idle.n,
      latencyMs: 0,
      ok: true,
      reads,
      writes: idle.writes,
      extra: {
        callsPerHour,
        clientCpuSPerHour,
        callRatio: ratio(Number(poll.extra.callsPerHour), callsPerHour),
        clientCpuRatio: ratio(Number(poll.extra.clientCpuSPerHour), clientCpuSPerHour),
      },
      notes: [`from the operator idle row: ${reads} reads and ${cpuMs} ms of operator CPU per pass (cpuPassOnlyMs), × ${perHour} passes`],
    });
  }
  return rows;
}
