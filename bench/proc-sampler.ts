// Samples the CPU time and peak RSS of named processes (the shards, the
// apiserver, etcd, the simulator) and the whole machine's busy time, once a
// second, from /proc. A sample loop rather than one reading at the end,
// because a shard that loses its Lease exits and is started again (as the
// kubelet would): /proc of the dead process is gone, so its last sample is
// what it used, and the next incarnation's CPU adds to it under the same name.
import { readFileSync } from 'node:fs';
import { procCpuMs, procRssMb } from './lib.ts';

interface Target {
  pid: number;
  /** CPU of earlier incarnations under this name, ms. */
  baseMs: number;
  /** CPU of the current incarnation at its last sample, ms. */
  lastMs: number;
  peakRssMb: number;
  /** The most CPU used in one sample interval, in cores. */
  peakCores: number;
  /** Not sampled yet: its first reading holds all its CPU so far, not one interval's. */
  fresh: boolean;
}

export interface Snapshot {
  at: number;
  cpuMs: Map<string, number>;
  /** The machine's busy (non-idle, non-iowait) CPU time, ms, all cores together. */
  machineBusyMs: number;
}

/** Busy CPU of the whole machine, in ms, from the first line of /proc/stat (100 ticks/s). */
function machineBusyMs(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: idle and iowait are the not-busy ones.
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - fields[3]! - fields[4]!) * 10;
}

export class ProcSampler {
  readonly #targets = new Map<string, Target>();
  #timer: NodeJS.Timeout | undefined;
  #lastAt = performance.now();

  /** Starts following `pid` under `name`; a new pid for a known name is its next incarnation. */
  track(name: string, pid: number): void {
    const t = this.#targets.get(name);
    if (t) {
      t.baseMs += t.lastMs;
      t.lastMs = 0;
      t.pid = pid;
      t.fresh = true;
    } else this.#targets.set(name, { pid, baseMs: 0, lastMs: 0, peakRssMb: 0, peakCores: 0, fresh: true });
    this.sample();
  }

  start(everyMs = 1000): void {
    this.#timer = setInterval(() => this.sample(), everyMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.sample();
  }

  sample(): void {
    const now = performance.now();
    const dt = now - this.#lastAt;
    this.#lastAt = now;
    for (const t of this.#targets.values()) {
      try {
        const cpu = procCpuMs(t.pid);
        if (dt >= 500 && !t.fresh) t.peakCores = Math.max(t.peakCores, (cpu - t.lastMs) / dt);
        t.lastMs = cpu;
        t.fresh = false;
        t.peakRssMb = Math.max(t.peakRssMb, procRssMb(t.pid).peak);
      } catch {
        // Exited: its last sample stands until track() names its successor.
      }
    }
  }

  snapshot(): Snapshot {
    this.sample();
    return {
      at: performance.now(),
      cpuMs: new Map([...this.#targets].map(([name, t]) => [name, t.baseMs + t.lastMs])),
      machineBusyMs: machineBusyMs(),
    };
  }

  peakRssMb(name: string): number {
    return this.#targets.get(name)?.peakRssMb ?? NaN;
  }

  peakCores(name: string): number {
    return this.#targets.get(name)?.peakCores ?? NaN;
  }
}

/** CPU each name used between two snapshots, ms, and the machine's busy cores over that time. */
export function usageBetween(a: Snapshot, b: Snapshot): { cpuMs: Map<string, number>; wallMs: number; machineCores: number } {
  const wallMs = b.at - a.at;
  const cpuMs = new Map([...b.cpuMs].map(([name, ms]) => [name, ms - (a.cpuMs.get(name) ?? 0)]));
  return { cpuMs, wallMs, machineCores: (b.machineBusyMs - a.machineBusyMs) / wallMs };
}
