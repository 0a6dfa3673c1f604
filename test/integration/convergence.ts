// Seeded fleets of Workspace declarations and the convergence checks shared by
// the apply fault and crash suites: a seed derives which workspaces already
// exist in Coder (to be adopted with changes), which must be created, and
// which exist undeclared (to be left alone); the checks read the simulator's
// state directly.
import type { CoderSimulator, RecordedCall, SeedWorkspace, SimSeed } from '../../src/coder-sim/index.ts';
import { createRandom, type Random } from '../../src/coder-sim/random.ts';
import { workspaceYaml } from './harness.ts';
import { HOUR } from './seed.ts';

export const OWNERS = ['alice', 'bob', 'carol', 'dave'] as const;
const TEMPLATES = ['docker', 'kubernetes'] as const;
const TTLS = ['1h', '4h', '90m', '8h', '0s'] as const;
const SCHEDULES = [
  { schedule: '30 8 * * 1-5', timezone: 'Europe/Berlin' },
  { schedule: '0 7 * * 1-5', timezone: 'UTC' },
  { schedule: '15 9 * * 1-5', timezone: 'America/New_York' },
] as const;

/** What a declaration manages, as the simulator stores it; absent = not managed. */
export interface Expected {
  ttlMs?: number | null;
  autostartSchedule?: string | null;
  dormant?: boolean;
  favorite?: boolean;
  automaticUpdates?: 'always' | 'never';
}

export interface Declaration {
  /** namespace/metadata.name */
  key: string;
  namespace: string;
  metaName: string;
  owner: string;
  name: string;
  spec: Record<string, unknown>;
  expected: Expected;
  /** Seeded in Coder before the first apply (to be adopted). */
  preexisting: boolean;
}

export interface Fleet {
  seed: SimSeed;
  declarations: Declaration[];
  /** Seeded workspaces no declaration names. */
  undeclared: SeedWorkspace[];
}

export function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function ttlMs(ttl: string): number | null {
  if (ttl === '0s') return null;
  if (ttl.endsWith('m')) return Number(ttl.slice(0, -1)) * 60_000;
  return Number(ttl.slice(0, -1)) * HOUR;
}

/** A random spec; each managed field is set with probability `p`. */
export function randomSpec(
  random: Random,
  owner: string,
  template: string,
  p = 0.6,
): { spec: Record<string, unknown>; expected: Expected } {
  const spec: Record<string, unknown> = { owner, template };
  const expected: Expected = {};
  if (random() < p) {
    const ttl = pick(random, TTLS);
    spec['ttl'] = ttl;
    expected.ttlMs = ttlMs(ttl);
  }
  if (random() < p) {
    if (random() < 0.2) {
      spec['autostart'] = { enabled: false };
      expected.autostartSchedule = null;
    } else {
      const s = pick(random, SCHEDULES);
      spec['autostart'] = { ...s };
      expected.autostartSchedule = `CRON_TZ=${s.timezone} ${s.schedule}`;
    }
  }
  if (random() < p / 2) {
    const dormant = random() < 0.5;
    spec['dormant'] = dormant;
    expected.dormant = dormant;
  }
  if (random() < p / 2) {
    const favorite = random() < 0.6;
    spec['favorite'] = favorite;
    expected.favorite = favorite;
  }
  if (random() < p / 2) {
    const au = random() < 0.5 ? 'always' : 'never';
    spec['automaticUpdates'] = au;
    expected.automaticUpdates = au;
  }
  return { spec, expected };
}

function randomSeedWorkspace(random: Random, owner: string, name: string): SeedWorkspace {
  const s = pick(random, SCHEDULES);
  return {
    owner,
    name,
    template: pick(random, TEMPLATES),
    ttl_ms: random() < 0.2 ? null : pick(random, [2, 3, 6]) * HOUR,
    autostart_schedule: random() < 0.5 ? `CRON_TZ=${s.timezone} ${s.schedule}` : null,
    dormant: random() < 0.2,
    favorite: random() < 0.3,
    automatic_updates: random() < 0.3 ? 'always' : 'never',
  };
}

/**
 * `declared` declarations over OWNERS (about 40% adopting seeded workspaces,
 * the rest new) plus `undeclared` seeded workspaces nobody declares.
 */
export function makeFleet(seed: number, declared: number, undeclared: number): Fleet {
  const random = createRandom(seed);
  const workspaces: SeedWorkspace[] = [];
  const declarations: Declaration[] = [];
  for (let i = 0; i < declared; i++) {
    const owner = OWNERS[i % OWNERS.length]!;
    const name = `w${seed % 1000}-${i}`;
    const preexisting = random() < 0.4;
    const existing = preexisting ? randomSeedWorkspace(random, owner, name) : undefined;
    if (existing) workspaces.push(existing);
    const { spec, expected } = randomSpec(random, owner, existing?.template ?? pick(random, TEMPLATES), preexisting ? 0.8 : 0.6);
    const namespace = `team-${owner}`;
    declarations.push({ key: `${namespace}/${name}`, namespace, metaName: name, owner, name, spec, expected, preexisting });
  }
  const others: SeedWorkspace[] = [];
  for (let i = 0; i < undeclared; i++) others.push(randomSeedWorkspace(random, OWNERS[i % OWNERS.length]!, `hand-${i}`));
  return {
    seed: {
      users: [{ username: 'admin', roles: ['owner'] }, ...OWNERS.map((username) => ({ username }))],
      templates: [
        { name: 'docker', default_ttl_ms: 8 * HOUR },
        { name: 'kubernetes', default_ttl_ms: 0 },
      ],
      workspaces: [...workspaces, ...others],
    },
    declarations,
    undeclared: others,
  };
}

/** One YAML file per owner: file name → multi-document text. */
export function fleetFiles(declarations: readonly Declaration[]): Map<string, string> {
  const files = new Map<string, string[]>();
  for (const d of declarations) {
    const file = `${d.owner}.yaml`;
    const docs = files.get(file) ?? [];
    docs.push(workspaceYaml(d.metaName, d.spec, d.namespace));
    files.set(file, docs);
  }
  return new Map([...files].map(([file, docs]) => [file, docs.join('\n---\n')]));
}

export interface Snapshot {
  id: string;
  name: string;
  ttlMs: number | null;
  autostartSchedule: string | null;
  dormant: boolean;
  favorite: boolean;
  automaticUpdates: string;
  builds: number;
}

function workspacesOf(sim: CoderSimulator) {
  return [...sim.state.workspaces.values()];
}

function isLive(sim: CoderSimulator, id: string): boolean {
  const ws = sim.state.mustWorkspace(id);
  return sim.state.findLiveWorkspace(ws.ownerId, ws.name)?.id === id;
}

/** Settings of a seeded workspace, keyed by owner/name, to compare after the runs. */
export function snapshot(sim: CoderSimulator, owner: string, name: string): Snapshot | undefined {
  const ws = sim.state.findLiveWorkspace(sim.state.findUser(owner)!.id, name);
  if (!ws) return undefined;
  return {
    id: ws.id,
    name: ws.name,
    ttlMs: ws.ttlMs,
    autostartSchedule: ws.autostartSchedule,
    dormant: ws.dormantAt !== null,
    favorite: ws.favorite,
    automaticUpdates: ws.automaticUpdates,
    builds: ws.builds.length,
  };
}

export function liveCount(sim: CoderSimulator): number {
  return workspacesOf(sim).filter((ws) => isLive(sim, ws.id)).length;
}

/** Workspace records ever made for owner/name (live or deleted): more than one is a duplicate create. */
export function recordsFor(sim: CoderSimulator, owner: string, name: string): number {
  const ownerId = sim.state.findUser(owner)!.id;
  const lower = name.toLowerCase();
  return workspacesOf(sim).filter((ws) => ws.ownerId === ownerId && ws.name.toLowerCase() === lower).length;
}

/** Problems with a declaration's workspace in Coder; [] when it exists once with every declared value. */
export function declarationProblems(sim: CoderSimulator, d: Declaration): string[] {
  const ws = sim.state.findLiveWorkspace(sim.state.findUser(d.owner)!.id, d.name);
  if (!ws) return [`${d.key}: no live workspace ${d.owner}/${d.name}`];
  const problems: string[] = [];
  const records = recordsFor(sim, d.owner, d.name);
  if (records !== 1) problems.push(`${d.key}: ${records} workspace records for ${d.owner}/${d.name} (duplicate create)`);
  const actual: Required<Expected> = {
    ttlMs: ws.ttlMs,
    autostartSchedule: ws.autostartSchedule,
    dormant: ws.dormantAt !== null,
    favorite: ws.favorite,
    automaticUpdates: ws.automaticUpdates,
  };
  for (const [field, want] of Object.entries(d.expected)) {
    const got = actual[field as keyof Expected];
    if (got !== want) problems.push(`${d.key}: ${field} is ${JSON.stringify(got)}, declared ${JSON.stringify(want)} (lost update)`);
  }
  return problems;
}

/** Calls that change something and address workspace `id` in their path. */
export function writesTo(calls: readonly RecordedCall[], id: string): RecordedCall[] {
  return calls.filter((c) => c.method !== 'GET' && c.path.includes(id));
}

/** Same settings and no write call ever addressed it. */
export function untouchedProblems(sim: CoderSimulator, before: Snapshot, owner: string): string[] {
  const after = snapshot(sim, owner, before.name);
  const problems: string[] = [];
  if (JSON.stringify(after) !== JSON.stringify(before)) {
    problems.push(`undeclared ${owner}/${before.name} changed: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
  }
  for (const c of writesTo(sim.calls, before.id)) problems.push(`undeclared ${owner}/${before.name} was written: ${c.method} ${c.path}`);
  return problems;
}
