// Shared by the seeded fault and crash suites: a small seeded PRNG, a hook on
// the simulator's call log, and the checks both suites end with: Kubernetes
// settled, Coder holding exactly what the specs declare (one live workspace
// per owner + name), and the client's manners after a 429.
import type { CoderSimulator, RecordedCall } from '../../src/coder-sim/index.ts';
import { isWorkspaceDeleted } from '../../src/coder-sim/lifecycle.ts';
import type { SimWorkspace } from '../../src/coder-sim/model.ts';
import { retryAfterCheck, type RetryAfterCheck } from '../support/retry-after.ts';
import { kubectlOk } from './kubectl.ts';
import { condition, eventually } from './operator-harness.ts';

/** mulberry32: tiny, seedable, good enough to pick test inputs. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [lo, hi]. */
export function between(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

export function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

// ---- the simulator's call log --------------------------------------------

type Listener = (call: RecordedCall) => void;
const hooks = new WeakMap<CoderSimulator, Set<Listener>>();

/** Calls `listener` for every call the simulator records from now on; returns the unsubscribe. */
export function onCall(sim: CoderSimulator, listener: Listener): () => void {
  let listeners = hooks.get(sim);
  if (!listeners) {
    const made = new Set<Listener>();
    listeners = made;
    hooks.set(sim, made);
    // The simulator records a call after committing it and just before it
    // answers, in this process: a listener runs exactly in that window.
    const push = sim.calls.push.bind(sim.calls);
    sim.calls.push = (...items: RecordedCall[]) => {
      for (const c of items) for (const l of made) l(c);
      return push(...items);
    };
  }
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function isWrite(c: RecordedCall): boolean {
  return c.method !== 'GET' && c.method !== 'HEAD';
}

/** 429s the simulator's own limiter sent (not an injected burst). */
export function realLimiter429s(sim: CoderSimulator): RecordedCall[] {
  return sim.calls.filter((c) => c.status === 429 && c.fault !== 'burst429');
}

/**
 * Refused writes the operator sent again inside the Retry-After of the
 * injected 429 it read, by the simulator's clock (test/support/retry-after.ts).
 */
export function retryAfterViolations(sim: CoderSimulator): RetryAfterCheck {
  return retryAfterCheck(sim.calls);
}

// ---- what Coder holds ----------------------------------------------------

/** A Workspace as declared in the test: its Kubernetes name and spec. */
export interface Declared {
  name: string;
  spec: {
    owner: string;
    name?: string;
    ttl?: string;
    autostart?: { schedule: string; timezone?: string };
    dormant?: boolean;
    automaticUpdates?: string;
    [k: string]: unknown;
  };
}

export function liveWorkspaces(sim: CoderSimulator): SimWorkspace[] {
  const now = sim.state.now();
  return [...sim.state.workspaces.values()].filter((w) => !isWorkspaceDeleted(w, now));
}

export function coderName(d: Declared): string {
  return d.spec.name ?? d.name;
}

/** Live Coder workspaces of the declaration's owner with its name (Coder ignores case). */
export function liveFor(sim: CoderSimulator, d: Declared): SimWorkspace[] {
  const owner = sim.state.findUser(d.spec.owner)!.id;
  const name = coderName(d).toLowerCase();
  return liveWorkspaces(sim).filter((w) => w.ownerId === owner && w.name.toLowerCase() === name);
}

function durationMs(text: string): number {
  const m = /^(\d+)(h|m)$/.exec(text);
  if (!m) throw new Error(`test durations are whole hours or minutes, got ${text}`);
  return Number(m[1]) * (m[2] === 'h' ? 3_600_000 : 60_000);
}

/** What differs between the declarations and Coder; [] when every declared field holds. */
export function coderMismatches(sim: CoderSimulator, declared: readonly Declared[]): string[] {
  const out: string[] = [];
  for (const d of declared) {
    const live = liveFor(sim, d);
    if (live.length !== 1) {
      out.push(`${d.name}: ${live.length} live Coder workspaces named ${coderName(d)} for ${d.spec.owner}`);
      continue;
    }
    const ws = live[0]!;
    const s = d.spec;
    if (s.ttl !== undefined && ws.ttlMs !== durationMs(s.ttl)) out.push(`${d.name}: ttl ${ws.ttlMs} ms, declared ${s.ttl}`);
    if (s.autostart !== undefined) {
      const want = `CRON_TZ=${s.autostart.timezone ?? 'UTC'} ${s.autostart.schedule}`;
      if (ws.autostartSchedule !== want) out.push(`${d.name}: autostart ${ws.autostartSchedule}, declared ${want}`);
    }
    if (s.dormant !== undefined && (ws.dormantAt !== null) !== s.dormant)
      out.push(`${d.name}: dormant ${ws.dormantAt !== null}, declared ${s.dormant}`);
    if (s.automaticUpdates !== undefined && ws.automaticUpdates !== s.automaticUpdates) {
      out.push(`${d.name}: automaticUpdates ${ws.automaticUpdates}, declared ${s.automaticUpdates}`);
    }
  }
  return out;
}

// ---- what Kubernetes holds -----------------------------------------------

export async function listWorkspaces(ns: string): Promise<any[]> {
  return JSON.parse(await kubectlOk(['get', 'workspaces.coderops.dev', '-n', ns, '-o', 'json'])).items;
}

/** Workspaces not yet Ready and Synced for their current generation, with why. */
export function unsettled(items: readonly any[]): string[] {
  return items
    .filter(
      (ws) =>
        !(
          ws.status?.observedGeneration === ws.metadata.generation &&
          condition(ws, 'Ready')?.status === 'True' &&
          condition(ws, 'Synced')?.status === 'True'
        ),
    )
    .map(
      (ws) =>
        `${ws.metadata.name} (gen ${ws.metadata.generation}, observed ${ws.status?.observedGeneration}, ` +
        `Synced ${condition(ws, 'Synced')?.reason ?? '-'})`,
    );
}

/**
 * Until every Workspace in `ns` is settled, the set of Workspace names is
 * exactly `declared`, and Coder holds what they declare. The error says what
 * was still off, under `what` (which names the seed).
 */
export async function waitConverged(
  sim: CoderSimulator,
  ns: string,
  declared: readonly Declared[],
  what: string,
  timeoutMs: number,
): Promise<any[]> {
  let last: string[] = [];
  const names = declared
    .map((d) => d.name)
    .sort()
    .join(',');
  try {
    return await eventually(
      what,
      async () => {
        const items = await listWorkspaces(ns);
        const off = [...unsettled(items), ...coderMismatches(sim, declared)];
        const present = items
          .map((i) => i.metadata.name)
          .sort()
          .join(',');
        if (present !== names) off.push(`Workspaces present: ${items.length}, declared ${declared.length}`);
        last = off;
        return off.length === 0 ? items : undefined;
      },
      timeoutMs,
      { everyMs: 400 },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\nstill off (${last.length}): ${last.slice(0, 15).join('; ')}`);
  }
}

/** Owners to spread Workspaces over (each owner's create path has its own rate-limit budget). */
export const OWNERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'] as const;

/** The simulator's users and templates for the seeded suites. */
export function seededSim(buildDurationMs = 100) {
  return {
    buildDurationMs,
    seed: {
      users: [{ username: 'admin', roles: ['owner' as const] }, ...OWNERS.map((username) => ({ username }))],
      templates: [{ name: 'docker', default_ttl_ms: 8 * 3600_000 }, { name: 'kubernetes' }],
    },
  };
}
