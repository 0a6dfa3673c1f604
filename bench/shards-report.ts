// The rows of a shards run (shards-mode.ts): one per shard, the total, and the
// apiserver and etcd, whose CPU and memory decide whether the control plane on
// this machine's cores, rather than the operator, is what limits the run.
import type { ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import type { ScenarioResult } from './cli-mode.ts';
import type { CallSummary } from './lib.ts';
import type { ReadyPoll } from './operator-env.ts';
import { progressSample, sum } from './operator-env.ts';
import type { ProcSampler, usageBetween } from './proc-sampler.ts';
import type { Attribution, WriterLog } from './shard-audit.ts';
import { readsAndWrites, type ResyncLine } from './shard-probes.ts';

export interface ShardProcess {
  name: string;
  /** The ServiceAccount's username, as the audit log names it. */
  user: string;
  kubeconfig: string;
  metricsUrl: string;
  metricsPort: number;
  probesPort: number;
  logFile: string;
  child?: ChildProcess;
  /** When and how each earlier incarnation ended. */
  exits: string[];
}

/** One whole resync pass of one shard: from its first `resync` line in the window to its second. */
export interface IdlePass {
  coder: Record<string, number>;
  cpuMs: number;
  periodMs: number;
  queued: number;
  workspaces: number;
}

type Usage = ReturnType<typeof usageBetween>;

export interface ShardRun {
  n: number;
  shards: ShardProcess[];
  resync: string;
  deadlineS: number;
  /** Date.now() at the start of the apply: the audit log's timestamps are wall-clock. */
  applyEpoch: number;
  applyMs: number;
  poll: ReadyPoll;
  /** From the start of the apply to all Ready (or the deadline). */
  cold: Usage;
  sampler: ProcSampler;
  coldCalls: CallSummary;
  /** Operator writes only; the bench's own server-side applies are counted apart. */
  coldK8s: Record<string, number>;
  benchApplies: number;
  duplicates: number;
  coderCold: Record<string, number>[];
  readyBy: Map<string, number>;
  writers: WriterLog;
  attribution: Attribution;
  resyncs: ResyncLine[][];
  idle?: { passes: (IdlePass | undefined)[]; k8s: Record<string, number>; k8sWrites: number; calls: CallSummary; usage: Usage };
}

const s1 = (ms: number | undefined) => (ms === undefined ? 'n/a' : Number((ms / 1000).toFixed(1)));

export function shardRows(r: ShardRun): ScenarioResult[] {
  const count = r.shards.length;
  const base = { mode: 'shards' as const, n: r.n, latencyMs: 0 };
  const rows: ScenarioResult[] = r.shards.map((s, i) => {
    const share = Math.floor(r.n / count) + (i < r.n % count ? 1 : 0);
    const ready = r.readyBy.get(s.name) ?? 0;
    const wrote = r.attribution.byUser.get(s.user) ?? { written: 0, notItsOwn: 0 };
    const span = r.writers.span.get(s.user);
    const coder = readsAndWrites(r.coderCold[i]!);
    const pass = r.idle?.passes[i];
    const passCalls = pass ? readsAndWrites(pass.coder) : undefined;
    return {
      ...base,
      scenario: s.name,
      ok: ready === share && wrote.written === share && wrote.notItsOwn === 0 && coder.writes === 0 && pass?.queued === 0,
      ...(span ? { wallMs: span.last - r.applyEpoch } : {}),
      cpuMs: r.cold.cpuMs.get(s.name) ?? NaN,
      peakRssMb: r.sampler.peakRssMb(s.name),
      reads: coder.reads,
      writes: coder.writes,
      byRoute: r.coderCold[i]!,
      extra: {
        share,
        ready,
        cached: r.resyncs[i]!.at(-1)?.workspaces ?? 'n/a',
        wrote: wrote.written,
        auditWrites: r.writers.writes.get(s.user) ?? 0,
        notItsOwn: wrote.notItsOwn,
        refused: r.writers.refused.get(s.user) ?? 0,
        peakCores: r.sampler.peakCores(s.name),
        idlePassReads: passCalls?.reads ?? 'n/a',
        idlePassWrites: passCalls?.writes ?? 'n/a',
        idlePeriodCpuMs: pass?.cpuMs ?? 'n/a',
        restarts: s.exits.length,
      },
      notes: s.exits.length > 0 ? [`exited and started again: ${s.exits.join('; ')}`] : [],
    };
  });
  const shardCpu = sum(Object.fromEntries(r.shards.map((s) => [s.name, r.cold.cpuMs.get(s.name) ?? 0])));
  const wrongShard = [...r.attribution.byUser.values()].reduce((a, u) => a + u.notItsOwn, 0);
  const readyMs = r.poll.readyMs;
  const ok =
    readyMs !== undefined &&
    r.idle !== undefined &&
    r.idle.k8sWrites === 0 &&
    r.idle.calls.writes === 0 &&
    r.attribution.doubles.length === 0 &&
    wrongShard === 0 &&
    r.attribution.unwritten === 0 &&
    r.duplicates === 0 &&
    rows.every((row) => row.ok);
  rows.push({
    ...base,
    scenario: `total, ${count} shards`,
    ok,
    wallMs: readyMs ?? r.cold.wallMs,
    cpuMs: shardCpu,
    peakRssMb: rows.reduce((a, row) => a + (row.peakRssMb ?? 0), 0),
    reads: r.coldCalls.reads,
    writes: r.coldCalls.writes,
    byRoute: r.coldCalls.byRoute,
    extra: {
      ready: r.poll.ready,
      kubectlApplySeconds: s1(r.applyMs),
      doubleReconciled: r.attribution.doubles.length,
      wrongShard,
      unwritten: r.attribution.unwritten,
      k8sWrites: sum(r.coldK8s),
      idleK8sWrites: r.idle?.k8sWrites ?? 'n/a',
      idleCoderReads: r.idle?.calls.reads ?? 'n/a',
      idleCoderWrites: r.idle?.calls.writes ?? 'n/a',
      duplicates: r.duplicates,
      simulatorCpuS: s1(r.cold.cpuMs.get('simulator')),
      machineBusyCores: Number(r.cold.machineCores.toFixed(2)),
    },
    notes: totalNotes(r, shardCpu),
  });
  for (const name of ['apiserver', 'etcd']) {
    const cpuMs = r.cold.cpuMs.get(name) ?? NaN;
    rows.push({
      ...base,
      scenario: name,
      ok,
      wallMs: r.cold.wallMs,
      cpuMs,
      peakRssMb: r.sampler.peakRssMb(name),
      extra: {
        cores: Number((cpuMs / r.cold.wallMs).toFixed(2)),
        peakCores: r.sampler.peakCores(name),
        shareOfBusy: `${Math.round((100 * cpuMs) / r.cold.wallMs / r.cold.machineCores)}%`,
        idleCpuS: s1(r.idle?.usage.cpuMs.get(name)),
      },
      notes: [],
    });
  }
  return rows;
}

function totalNotes(r: ShardRun, shardCpu: number): string[] {
  const c = r.cold;
  const cores = (ms: number | undefined) => ((ms ?? 0) / c.wallMs).toFixed(2);
  const named = ['apiserver', 'etcd', 'simulator'].reduce((a, k) => a + (c.cpuMs.get(k) ?? 0), shardCpu);
  const controlPlane = (c.cpuMs.get('apiserver') ?? 0) + (c.cpuMs.get('etcd') ?? 0);
  const machine = cpus().length;
  const saturated = c.machineCores >= 0.9 * machine;
  const cpShare = controlPlane / c.wallMs / c.machineCores;
  const others = c.machineCores - named / c.wallMs;
  const verdict = !saturated
    ? `the machine was not saturated (${c.machineCores.toFixed(2)} of ${machine} cores busy): neither the cores nor the control plane on them were the limit`
    : others >= c.machineCores / 2
      ? `the machine was saturated, mostly by processes outside the measured ones (${others.toFixed(2)} cores): a shared machine, not a clean reading`
      : cpShare >= 0.5
        ? `the machine was saturated and the apiserver + etcd took ${Math.round(100 * cpShare)}% of it: the control plane on ${machine} cores is the limit`
        : `the machine was saturated, the apiserver + etcd took ${Math.round(100 * cpShare)}% of it: not mainly the control plane`;
  const notes = [
    `wall = from the start of kubectl apply (${r.n} Workspaces, chunks of 1,000, ${s1(r.applyMs)} s alone) to all Ready ` +
      `(polled with kubectl every ${r.poll.everyS} s); a shard row's wall = to its last Workspace write (audit log); ` +
      'CPU = over that time; peak RSS = VmHWM over the whole run (total: the shards summed); Coder calls: shard rows from ' +
      "each shard's /metrics, the total from the simulator",
    `Ready over time [s since apply start, count]: ${JSON.stringify(progressSample(r.poll.progress))}`,
    `Kubernetes writes by the shards during adopt (apiserver counter, Leases excluded): ${JSON.stringify(r.coldK8s)}; ` +
      `the bench's own server-side applies, not counted: ${r.benchApplies}`,
    `CPU during adopt, in cores: machine ${c.machineCores.toFixed(2)} of ${machine} busy = apiserver ${cores(c.cpuMs.get('apiserver'))}` +
      ` + etcd ${cores(c.cpuMs.get('etcd'))} + shards ${cores(shardCpu)} + simulator ${cores(c.cpuMs.get('simulator'))}` +
      ` + the rest (kubectl, other users of the machine) ${others.toFixed(2)}; ${verdict}`,
  ];
  if (r.poll.readyMs === undefined) notes.push(`deadline of ${r.deadlineS} s reached with ${r.poll.ready}/${r.n} Ready`);
  if (r.attribution.doubles.length > 0) notes.push(`written by two shards: ${r.attribution.doubles.slice(0, 20).join(', ')}`);
  if (r.idle) {
    const periods = r.idle.passes.map((p) => (p ? s1(p.periodMs) : 'none'));
    notes.push(
      `idle window ${s1(r.idle.usage.wallMs)} s (--resync ${r.resync}; until every shard logged two resyncs, one whole pass between): ` +
        `Kubernetes writes ${JSON.stringify(r.idle.k8s)}, Coder calls ${JSON.stringify(r.idle.calls.byRoute)}; ` +
        `resync period per shard [s]: ${JSON.stringify(periods)}`,
    );
  } else notes.push('no idle window: not all Ready');
  return notes;
}
