// A world for the prune and identity properties: several sources of
// declarations (git repositories, refs and paths, local directories and
// files) that share a state file or not, each run of the CLI's apply
// driven in process against the simulator (sim-in-process.ts), crashes at
// any call, and a model of what may be deleted, built from what each run
// was given, never from what the tool recorded. After every run the
// simulator's own store says what was deleted; each delete is checked
// against the model (see checkRun()).
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isWorkspaceDeleted } from '../../src/coder-sim/lifecycle.ts';
import type { SimSeed } from '../../src/coder-sim/seed.ts';
import { applyErrors } from '../../src/gitops/apply-errors.ts';
import { gitSources } from '../../src/gitops/git-source.ts';
import { loadFromTexts } from '../../src/gitops/load.ts';
import { runApply, type ApplyReport, type RunOptions } from '../../src/gitops/run.ts';
import { sameSource, sourceOf } from '../../src/gitops/source-identity.ts';
import { IN_PROCESS_URL, startInProcessSim, type CrashMode, type InProcessSim } from './sim-in-process.ts';
import { workspaceYaml } from '../support/workspace.ts';

export const USERS = ['admin', 'alice', 'bob'] as const;
export type User = (typeof USERS)[number];
/** The tokens runs use: a site Owner's, and a member's (who sees only her own workspaces). */
export const TOKENS = ['admin', 'alice'] as const;
export const META_NAMES = ['a', 'b', 'c', 'd', 'e'] as const;
/**
 * Coder names: one per metadata.name (what a declaration mostly uses), and two
 * that declarations share now and then; `hand` is also the name of a
 * workspace made by hand before any run.
 */
export const CODER_NAMES = ['wa', 'wb', 'wc', 'wd', 'we', 'w1', 'hand'] as const;
export const SHARED_NAMES = ['w1', 'hand'] as const;

export const SEED: SimSeed = {
  users: [{ username: 'admin', roles: ['owner'] }, { username: 'alice' }, { username: 'bob' }],
  templates: [{ name: 'docker', default_ttl_ms: 0 }],
  // Made by hand before any run: declarations adopt (or only observe) them, and none may be deleted unless adopted.
  workspaces: [
    { owner: 'admin', name: 'hand', template: 'docker' },
    { owner: 'alice', name: 'hand', template: 'docker' },
    { owner: 'bob', name: 'hand', template: 'docker' },
    { owner: 'bob', name: 'w1', template: 'docker' },
  ],
};

export interface SourceDef {
  id: string;
  kind: 'git' | 'files';
  repo?: string;
  ref?: string;
  /** git: the --path; files: a directory (one file per declaration) or a file (all declarations in it). */
  path: string;
  oneFile?: boolean;
}

/** Same repository and ref on two paths, another ref, another repository, a directory and a file. */
export const SOURCES: SourceDef[] = [
  { id: 'A-main-ws', kind: 'git', repo: 'https://git.example.com/org/a.git', ref: 'main', path: 'ws' },
  { id: 'A-main-other', kind: 'git', repo: 'https://git.example.com/org/a.git', ref: 'main', path: 'other' },
  { id: 'A-staging-ws', kind: 'git', repo: 'https://git.example.com/org/a.git', ref: 'staging', path: 'ws' },
  { id: 'B-main-ws', kind: 'git', repo: 'https://git.example.com/org/b.git', ref: 'main', path: 'ws' },
  { id: 'files-dir', kind: 'files', path: '/srv/cwo/team-a' },
  { id: 'files-one', kind: 'files', path: '/srv/cwo/team-b.yaml', oneFile: true },
];

/** How an owner is written: its username in some case, its UUID in some case, or `me` (the token's user at run time). */
export type Spelling = 'lower' | 'upper' | 'mixed' | 'uuid' | 'UUID' | 'me';

export interface Decl {
  meta: (typeof META_NAMES)[number];
  owner: User;
  spelling: Spelling;
  name: (typeof CODER_NAMES)[number];
  /** Unset: the run's --deletion-policy. */
  policy?: 'Delete' | 'Orphan' | undefined;
  observe: boolean;
  suspend: boolean;
}

export type Command =
  | { kind: 'declare'; source: number; decl: Decl }
  | { kind: 'remove'; source: number; meta: Decl['meta'] }
  | { kind: 'rename'; source: number; from: Decl['meta']; to: Decl['meta']; spelling?: Spelling }
  | { kind: 'rename-coder'; source: number; meta: Decl['meta']; to: Decl['name'] }
  | {
      kind: 'run';
      source: number;
      token: (typeof TOKENS)[number];
      prune: boolean;
      maxPrune: number | 'all';
      defaultPolicy: 'Delete' | 'Orphan';
      takeover: boolean;
      crash?: { at: number; mode: CrashMode } | undefined;
    };

export interface Scenario {
  /** Which of two state files each source uses (index into SOURCES). */
  stateOf: number[];
  commands: Command[];
}

/** What the model knows per state file: built only from the declarations of runs that took effect. */
interface FileModel {
  /** Workspace id -> sources whose declarations referred to it (created or adopted it). */
  claimed: Map<string, Set<string>>;
  /** Workspace id -> what the last declaration referring to it said. */
  lastSaid: Map<string, { policy: 'Delete' | 'Orphan'; observe: boolean; by: string }>;
  /** Source -> the declarations of its last run that took effect, owners resolved. */
  current: Map<string, { key: string; ownerId: string; name: string }[]>;
  /** Source -> key -> workspace id its declaration referred to. */
  keyBinding: Map<string, Map<string, string>>;
}

export class Violation extends Error {
  override name = 'Violation';
}

export interface RunStats {
  runs: number;
  crashes: number;
  deletes: number;
  refused: number;
}

/** Plays one scenario; throws Violation (with the trail) at the first broken invariant. */
export async function playScenario(scenario: Scenario, stats: RunStats): Promise<void> {
  const sim = startInProcessSim(SEED);
  const dir = join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), `cwo-prop-${randomUUID()}`);
  await mkdir(dir, { recursive: true });
  const decls = SOURCES.map(() => new Map<string, Decl>());
  const models = [0, 1].map((): FileModel => ({ claimed: new Map(), lastSaid: new Map(), current: new Map(), keyBinding: new Map() }));
  const trail: string[] = [];
  try {
    for (const command of scenario.commands) {
      trail.push(JSON.stringify(command));
      const source = SOURCES[command.source]!;
      const mine = decls[command.source]!;
      if (command.kind === 'declare') mine.set(command.decl.meta, command.decl);
      else if (command.kind === 'remove') {
        const meta = present(mine, command.meta);
        if (meta) mine.delete(meta);
      } else if (command.kind === 'rename') {
        const from = present(mine, command.from);
        const d = from && mine.get(from);
        if (d && !mine.has(command.to)) {
          mine.delete(from);
          mine.set(command.to, { ...d, meta: command.to, ...(command.spelling ? { spelling: command.spelling } : {}) });
        }
      } else if (command.kind === 'rename-coder') {
        const meta = present(mine, command.meta);
        const d = meta && mine.get(meta);
        if (d) mine.set(d.meta, { ...d, name: command.to });
      } else {
        const fileIndex = scenario.stateOf[command.source]!;
        const statePath = join(dir, `state-${fileIndex}.json`);
        await runOnce(sim, source, [...mine.values()], command, statePath, models[fileIndex]!, stats, trail);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The declaration a remove or rename means: `meta` if the source declares it, else the next one it does (so most such commands change something). */
function present(decls: Map<string, Decl>, meta: Decl['meta']): Decl['meta'] | undefined {
  const start = META_NAMES.indexOf(meta);
  for (let i = 0; i < META_NAMES.length; i++) {
    const m = META_NAMES[(start + i) % META_NAMES.length]!;
    if (decls.has(m)) return m;
  }
  return undefined;
}

/** Is a recorded file one of this source's? */
function withinSource(recorded: string, source: SourceDef): boolean {
  if (source.kind === 'git') return recorded.startsWith(`git:${source.path}/`);
  return source.oneFile ? recorded === source.path : recorded.startsWith(`${source.path}/`);
}

/** The name the state gives a source's entries (source-identity.ts). */
function originOf(source: SourceDef): string {
  return source.kind === 'git' ? gitSources(source.repo!, source.ref!, source.path).name : 'files';
}

function userByName(sim: InProcessSim, name: string) {
  return sim.state.findUser(name)!;
}

function ownerText(sim: InProcessSim, d: Decl): string {
  const user = userByName(sim, d.owner);
  switch (d.spelling) {
    case 'lower':
      return d.owner;
    case 'upper':
      return d.owner.toUpperCase();
    case 'mixed':
      return d.owner.charAt(0).toUpperCase() + d.owner.slice(1);
    case 'uuid':
      return user.id.toLowerCase();
    case 'UUID':
      return user.id.toUpperCase();
    case 'me':
      return 'me';
  }
}

function ownerIdOf(sim: InProcessSim, d: Decl, token: string): string {
  return userByName(sim, d.spelling === 'me' ? token : d.owner).id;
}

function fileOf(source: SourceDef, d: Decl): string {
  if (source.kind === 'git') return `${source.path}/${d.meta}.yaml`;
  return source.oneFile ? source.path : `${source.path}/${d.meta}.yaml`;
}

function documentOf(sim: InProcessSim, d: Decl): string {
  const spec: Record<string, unknown> = { owner: ownerText(sim, d), name: d.name, template: 'docker' };
  if (d.policy) spec['deletionPolicy'] = d.policy;
  if (d.observe) spec['managementPolicies'] = ['Observe'];
  if (d.suspend) spec['suspend'] = true;
  return workspaceYaml(d.meta, spec, 'p');
}

/** Live workspaces: id -> owner id and lower-cased name. */
function live(sim: InProcessSim): Map<string, { ownerId: string; name: string }> {
  const now = sim.state.now();
  const out = new Map<string, { ownerId: string; name: string }>();
  for (const ws of sim.state.workspaces.values())
    if (!isWorkspaceDeleted(ws, now)) out.set(ws.id, { ownerId: ws.ownerId, name: ws.name.toLowerCase() });
  return out;
}

function deleteBuilds(sim: InProcessSim): Map<string, number> {
  const out = new Map<string, number>();
  for (const ws of sim.state.workspaces.values()) out.set(ws.id, ws.builds.filter((b) => b.transition === 'delete').length);
  return out;
}

function lookup(ws: Map<string, { ownerId: string; name: string }>, ownerId: string, name: string): string | undefined {
  for (const [id, w] of ws) if (w.ownerId === ownerId && w.name === name.toLowerCase()) return id;
  return undefined;
}

async function readText(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch(() => undefined);
}

async function runOnce(
  sim: InProcessSim,
  source: SourceDef,
  declared: Decl[],
  command: Extract<Command, { kind: 'run' }>,
  statePath: string,
  model: FileModel,
  stats: RunStats,
  trail: string[],
): Promise<void> {
  stats.runs++;
  // An empty source never reaches apply: the loader refuses it (no files), as does git (no files under --path).
  if (declared.length === 0) {
    stats.refused++;
    return;
  }
  const files = new Map<string, string[]>();
  for (const d of declared) files.set(fileOf(source, d), [...(files.get(fileOf(source, d)) ?? []), documentOf(sim, d)]);
  const loaded = loadFromTexts([...files].map(([file, docs]) => ({ file, text: docs.join('\n---\n') })));
  if (loaded.errors.length > 0) {
    if (process.env.CWO_PROPERTY_DEBUG) console.log(loaded.errors.map((e) => e.message).join('; '));
    stats.refused++; // the same owner + name twice, written the same way: refused before apply, as the CLI does
    return;
  }
  const session = sim.beginRun(command.crash);
  const api = session.client(command.token);
  const runSource = source.kind === 'git' ? gitSources(source.repo!, source.ref!, source.path) : undefined;
  const stateBefore = await readText(statePath);
  const takeover: string[] = [];
  if (command.takeover && stateBefore) {
    for (const e of Object.values(
      JSON.parse(stateBefore).entries as Record<string, { source: string; repository?: string; ref?: string }>,
    )) {
      const from = sourceOf(e);
      if (!sameSource(from, runSource?.name ?? 'files') && !takeover.includes(from)) takeover.push(from);
    }
  }
  const opts: RunOptions = {
    declarations: loaded.workspaces,
    paths: [source.path],
    cwd: '/',
    ...(runSource ? { sources: runSource } : {}),
    ...(takeover.length > 0 ? { stateSourceTakeover: takeover } : {}),
    api,
    owners: { forOwner: async () => api },
    coderUrl: IN_PROCESS_URL,
    statePath,
    prune: command.prune,
    maxPrune: command.maxPrune === 'all' ? 'all' : { count: command.maxPrune },
    defaultDeletionPolicy: command.defaultPolicy,
    concurrency: 2,
    deleteTimeoutMs: 60_000,
  };
  const before = live(sim);
  const buildsBefore = deleteBuilds(sim);
  const writesBefore = sim.writes.length;
  const outcome = await Promise.race([
    runApply(opts).then(
      (report) => ({ report }),
      (error: unknown) => ({ error }),
    ),
    session.crashed.then(() => 'crashed' as const),
  ]);
  session.end();
  if (outcome === 'crashed') {
    stats.crashes++;
    // The process died holding the lock; the next run takes a dead process's lock over (state-lock.ts, tested there).
    await rm(`${statePath}.lock`, { force: true });
  }
  const after = live(sim);
  const stateAfter = await readText(statePath);
  const tookEffect = (typeof outcome === 'object' && 'report' in outcome) || sim.writes.length > writesBefore || stateAfter !== stateBefore;
  if (!tookEffect) stats.refused++;
  if (process.env.CWO_PROPERTY_DEBUG && typeof outcome === 'object' && 'error' in outcome) console.log(String(outcome.error));
  if (process.env.CWO_PROPERTY_DEBUG && typeof outcome === 'object' && 'report' in outcome)
    console.log(
      `prunes: ${outcome.report.prunes.map((p) => `${p.entry.deletionPolicy}${p.keptFor ? ' kept' : ''}${p.observed ? '' : ' gone'}`).join(',')} errors: ${applyErrors(
        outcome.report,
      )
        .map((e) => e.message)
        .join('; ')}`,
    );
  const sourceName = source.id;
  const tokenUser = userByName(sim, command.token).id;
  // A source that took another's entries over, by name, speaks for it from now on: what that one created or
  // adopted on the same path is this one's to prune, and its declarations no longer count (its next run is refused).
  if (takeover.length > 0 && tookEffect) {
    const taken = SOURCES.filter((x) => takeover.some((name) => sameSource(name, originOf(x))));
    for (const other of taken) model.current.delete(other.id);
    for (const claimed of model.claimed.values())
      for (const s of [...claimed]) if (taken.some((x) => x.id === s && x.path === source.path)) claimed.add(sourceName);
  }

  // Every workspace that got a delete build in this run, whether or not the build finished.
  const deleted = [...deleteBuilds(sim)].filter(([id, n]) => n > (buildsBefore.get(id) ?? 0)).map(([id]) => id);
  stats.deletes += deleted.length;
  const fail = (what: string) => {
    throw new Violation(`${what}\nafter: ${trail.join('\n  ')}`);
  };
  if (deleted.length > 0) {
    if (!tookEffect) fail('a run without effect deleted something');
    if (command.maxPrune !== 'all' && deleted.length > command.maxPrune)
      fail(`deleted ${deleted.length} workspaces, past --max-prune ${command.maxPrune}`);
    // Declarations in force before this run: the last run that took effect of every source on this state file, and this run's.
    const declaredNow: { key: string; ownerId: string; name: string; source: string }[] = [];
    // Another source's declaration is "in the state" only once the state records it: one never applied (suspended,
    // refused) is invisible to this run, as it is to any tool reading this state file.
    const recorded = stateBefore
      ? (JSON.parse(stateBefore).entries as Record<string, { source: string; repository?: string; ref?: string }>)
      : {};
    for (const [s, list] of model.current) {
      const other = SOURCES.find((x) => x.id === s);
      if (s === sourceName || !other) continue;
      for (const d of list) {
        const entry = recorded[`p/${d.key}`];
        if (entry && sameSource(sourceOf(entry), originOf(other)) && withinSource(entry.source, other))
          declaredNow.push({ ...d, source: s });
      }
    }
    for (const d of declared)
      declaredNow.push({ key: d.meta, ownerId: ownerIdOf(sim, d, command.token), name: d.name, source: sourceName });
    for (const id of deleted) {
      const was = before.get(id);
      if (!model.claimed.get(id)?.has(sourceName))
        fail(`deleted ${id} (${JSON.stringify(was)}), which ${sourceName} never created or adopted`);
      const still = declaredNow.find(
        (d) => model.keyBinding.get(d.source)?.get(d.key) === id || (was && d.ownerId === was.ownerId && d.name.toLowerCase() === was.name),
      );
      if (still) fail(`deleted ${id} (${JSON.stringify(was)}), still declared by ${still.source} as ${still.key}`);
      const said = model.lastSaid.get(id);
      if (said?.policy !== 'Delete' || said.observe)
        fail(`deleted ${id} (${JSON.stringify(was)}), but its last declaration said ${JSON.stringify(said)}`);
    }
  }

  if (typeof outcome === 'object' && 'report' in outcome)
    checkRecorded(outcome.report, declared, sim, command.token, after, stateAfter, fail);

  if (!tookEffect) return;
  // The model learns what this run declared: which workspace each declaration meant, and what it said about it.
  // Keys this run does not declare are bound to nothing from now on: the state forgets them (a metadata.name rename
  // moved them, or prune dropped them), and a later declaration of the same key is a new one.
  const previousBindings = model.keyBinding.get(sourceName) ?? new Map<string, string>();
  const bindings = new Map<string, string>();
  const current: { key: string; ownerId: string; name: string }[] = [];
  const saidNow = new Map<string, { policy: 'Delete' | 'Orphan'; observe: boolean; by: string }>();
  for (const d of declared) {
    const ownerId = ownerIdOf(sim, d, command.token);
    const bound = previousBindings.get(d.meta);
    const ids = new Set<string>();
    for (const id of [
      lookup(after, ownerId, d.name),
      lookup(before, ownerId, d.name),
      bound !== undefined && after.has(bound) ? bound : undefined,
    ])
      if (id !== undefined) ids.add(id);
    current.push({ key: d.meta, ownerId, name: d.name });
    const policy = d.policy ?? command.defaultPolicy;
    for (const id of ids) {
      const claimed = model.claimed.get(id) ?? new Set<string>();
      claimed.add(sourceName);
      model.claimed.set(id, claimed);
      const was = saidNow.get(id);
      // Two declarations meaning one workspace in one run: the more careful one counts.
      saidNow.set(id, {
        policy: was?.policy === 'Orphan' ? 'Orphan' : policy,
        observe: (was?.observe ?? false) || d.observe,
        by: `${sourceName}/${d.meta}`,
      });
    }
    const first = lookup(after, ownerId, d.name) ?? (bound !== undefined && after.has(bound) ? bound : lookup(before, ownerId, d.name));
    if (first !== undefined) bindings.set(d.meta, first);
  }
  for (const [id, said] of saidNow) model.lastSaid.set(id, said);
  model.keyBinding.set(sourceName, bindings);
  model.current.set(sourceName, current);
  void tokenUser;
}

/**
 * Nothing declared is left undeclared in the state: after a run that
 * reported no error, every declaration whose workspace exists is recorded,
 * bound to it.
 */
function checkRecorded(
  report: ApplyReport,
  declared: Decl[],
  sim: InProcessSim,
  token: string,
  after: Map<string, { ownerId: string; name: string }>,
  stateText: string | undefined,
  fail: (what: string) => never,
): void {
  if (applyErrors(report).length > 0) return;
  const entries = stateText ? (JSON.parse(stateText).entries as Record<string, { id: string }>) : {};
  for (const d of declared) {
    if (d.suspend) continue;
    const plan = report.plans.find((p) => p.key === `p/${d.meta}`);
    if (!plan || plan.blocked.length > 0) continue;
    // The workspace the run found for it, or the one its create made; the simulator must still have it.
    const result = report.results[report.plans.indexOf(plan)];
    const id = result?.observed?.id ?? plan.observed?.id;
    if (id === undefined || !after.has(id)) continue;
    const named = lookup(after, ownerIdOf(sim, d, token), d.name);
    if (!d.observe && named !== id) fail(`p/${d.meta} declares ${d.owner}/${d.name} (${named}), but the run bound it to ${id}`);
    if (entries[`p/${d.meta}`]?.id !== id)
      fail(`p/${d.meta} is declared and ${id} is its workspace, but the state records ${JSON.stringify(entries[`p/${d.meta}`])}`);
  }
}
