// The CLI's record of the Coder workspaces it manages, for `apply --prune`.
// Only what this tool created or adopted is ever recorded, and prune only
// ever touches recorded entries: a workspace someone made by hand is never
// at risk. A state file belongs to one Coder deployment; reading it for
// another is refused, so a wrong --url can never prune the wrong deployment.
//
// Version 2 (issue 18) added, per entry, what the last declaration let this
// tool do (`management`) and, for git, the repository and ref the declaring
// file was read from. Version 1 files are read and migrated in memory:
// their entries carry no evidence of either, so prune deletes none of them
// and their git entries belong to no repository until one is named
// (source-identity.ts). Changes stay additive: a field a reader does not
// know must never make it delete more.
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-write.ts';
import { ROLLOUT_STATES, type RolloutStatus } from '../api/schema.ts';
import type { RolloutMemory } from './lifecycle-run.ts';

export interface StateEntry {
  /** The declaration's `namespace/metadata.name`. */
  key: string;
  /** Coder workspace id: what prune addresses, so a rename does not lose track. */
  id: string;
  owner: string;
  ownerId: string;
  name: string;
  organizationId: string;
  origin: 'created' | 'adopted';
  deletionPolicy: 'Delete' | 'Orphan';
  /**
   * What the declaration last recorded here let this tool do: `Full`
   * (managementPolicies ["*"]) or `Observe` (read only). Prune deletes only
   * on positive evidence, `Full` with `Delete`; absent (an entry of state
   * version 1) is no evidence.
   */
  management?: Management;
  /**
   * Absolute path of the file that declared it (`-` for stdin), or
   * `git:<repo-relative path>` for a file read from git by `sync` / `plan
   * --repo` (stable across cache dirs and checkouts). Prune only
   * considers entries whose file lies within the paths given to that run, so
   * `apply --prune -f team-a/` can never prune what team-b/ declares.
   */
  source: string;
  /** For a file read from git: the repository (URL without credentials, or absolute path) ... */
  repository?: string;
  /** ... and the ref given for it. Both absent for local files; see source-identity.ts. */
  ref?: string;
  lastAppliedAt: string;
  /** For a WorkspaceSet's child: the set (`namespace/name`) that stamped it ... */
  set?: string;
  /** ... and the member (Coder username) it was stamped for. A set removes a child only on this evidence. */
  member?: string;
  /**
   * The rollout memory (status.rollout) of the workspace: a start owed after
   * an update stop (written before the stop is sent), an update in flight, a
   * failed attempt not to repeat. Optional: absent when there is none.
   */
  rollout?: RolloutStatus;
}

export type Management = 'Full' | 'Observe';

/** The version this tool writes; it reads this one and every earlier one. */
const STATE_VERSION = 2;

export interface StateFile {
  version: typeof STATE_VERSION;
  coderUrl: string;
  entries: Record<string, StateEntry>;
  /** Rollout memory across runs (resume value, canary progress); optional. */
  rollout?: RolloutMemory;
  /** Per WorkspaceSet (`namespace/name`): the members of its last expansion acted on (an empty one after is held). */
  sets?: Record<string, { members: number }>;
}

export class StateError extends Error {
  override name = 'StateError';
}

export function emptyState(coderUrl: string): StateFile {
  return { version: STATE_VERSION, coderUrl, entries: {} };
}

/**
 * A missing file is an empty state (the first apply). A file for another
 * deployment, or one we cannot make sense of, is a StateError: guessing
 * would risk pruning what we do not own.
 */
export async function readState(path: string, coderUrl: string): Promise<StateFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyState(coderUrl);
    throw new StateError(`cannot read state file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new StateError(`state file ${path} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const state = checkShape(path, data);
  if (sameDeployment(state.coderUrl, coderUrl)) return state;
  throw new StateError(
    `state file ${path} records workspaces of ${state.coderUrl}, not ${coderUrl}; use one state file per Coder deployment`,
  );
}

/** Atomic (see atomic-write.ts): a crash leaves the old state or the new one. */
export async function writeState(path: string, state: StateFile): Promise<void> {
  await writeFileAtomic(path, serialize(state));
}

/** Records one entry, or many at once (one copy of the map, whatever their number). */
export function recordApplied(state: StateFile, entries: StateEntry | readonly StateEntry[]): StateFile {
  const next = { ...state.entries };
  for (const entry of Array.isArray(entries) ? entries : [entries]) next[entry.key] = { ...entry };
  return { ...state, entries: next };
}

export function forget(state: StateFile, key: string): StateFile {
  const { [key]: _gone, ...entries } = state.entries;
  return { ...state, entries };
}

/** Stable output: entries sorted by key and fields in a fixed order, so diffs of the file stay small. */
function serialize(state: StateFile): string {
  const entries: Record<string, StateEntry> = {};
  for (const key of Object.keys(state.entries).sort()) {
    const e = state.entries[key]!;
    entries[key] = {
      key: e.key,
      id: e.id,
      owner: e.owner,
      ownerId: e.ownerId,
      name: e.name,
      organizationId: e.organizationId,
      origin: e.origin,
      deletionPolicy: e.deletionPolicy,
      ...(e.management !== undefined ? { management: e.management } : {}),
      source: e.source,
      ...(e.repository !== undefined ? { repository: e.repository, ref: e.ref } : {}),
      lastAppliedAt: e.lastAppliedAt,
      ...(e.set !== undefined ? { set: e.set, member: e.member } : {}),
      ...(e.rollout ? { rollout: e.rollout } : {}),
    };
  }
  const rollout = state.rollout && Object.keys(state.rollout).length > 0 ? { rollout: state.rollout } : {};
  const sets: Record<string, { members: number }> = {};
  for (const key of Object.keys(state.sets ?? {}).sort()) sets[key] = { members: state.sets![key]!.members };
  const setsField = Object.keys(sets).length > 0 ? { sets } : {};
  return `${JSON.stringify({ version: state.version, coderUrl: state.coderUrl, ...rollout, ...setsField, entries }, null, 2)}\n`;
}

/** Scheme, host and path compared; a trailing slash or letter case in the host does not make another deployment. */
function sameDeployment(a: string, b: string): boolean {
  return normalizeUrl(a) === normalizeUrl(b);
}

function normalizeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return url.replace(/\/+$/, '');
  }
}

const STRING_FIELDS = ['key', 'id', 'owner', 'ownerId', 'name', 'organizationId', 'source', 'lastAppliedAt'] as const;

function checkShape(path: string, data: unknown): StateFile {
  const bad = (what: string) => new StateError(`state file ${path} is not a state file this tool wrote: ${what}`);
  if (!isRecord(data)) throw bad('expected a JSON object');
  const version = data['version'];
  if (version !== 1 && version !== STATE_VERSION) {
    throw typeof version === 'number' && version > STATE_VERSION
      ? new StateError(`state file ${path} has version ${version}, written by a newer version of this tool`)
      : bad(`version must be 1 or ${STATE_VERSION}`);
  }
  if (typeof data['coderUrl'] !== 'string' || data['coderUrl'] === '') throw bad('coderUrl must be a string');
  const raw = data['entries'];
  if (!isRecord(raw)) throw bad('entries must be an object');
  const entries: Record<string, StateEntry> = {};
  for (const [key, e] of Object.entries(raw)) {
    const at = `entries[${JSON.stringify(key)}]`;
    if (!isRecord(e)) throw bad(`${at} must be an object`);
    for (const field of STRING_FIELDS) {
      if (typeof e[field] !== 'string' || e[field] === '') throw bad(`${at}.${field} must be a non-empty string`);
    }
    if (e['key'] !== key) throw bad(`${at}.key does not match its entry`);
    if (e['origin'] !== 'created' && e['origin'] !== 'adopted') throw bad(`${at}.origin must be created or adopted`);
    if (e['deletionPolicy'] !== 'Delete' && e['deletionPolicy'] !== 'Orphan') {
      throw bad(`${at}.deletionPolicy must be Delete or Orphan`);
    }
    // Version 1 never recorded these; a version 1 file that has them was not written by us.
    if (version === 1 && (e['management'] !== undefined || e['repository'] !== undefined))
      throw bad(`${at}: fields of version 2 in a version 1 file`);
    if (e['management'] !== undefined && e['management'] !== 'Full' && e['management'] !== 'Observe') {
      throw bad(`${at}.management must be Full or Observe`);
    }
    if ((e['repository'] === undefined) !== (e['ref'] === undefined)) throw bad(`${at}: repository and ref go together`);
    for (const field of ['repository', 'ref'] as const) {
      if (e[field] !== undefined && (typeof e[field] !== 'string' || e[field] === ''))
        throw bad(`${at}.${field} must be a non-empty string`);
    }
    if ((e['set'] === undefined) !== (e['member'] === undefined)) throw bad(`${at}: set and member go together`);
    for (const field of ['set', 'member'] as const) {
      if (e[field] !== undefined && (typeof e[field] !== 'string' || e[field] === ''))
        throw bad(`${at}.${field} must be a non-empty string`);
    }
    const rollout = e['rollout'];
    if (rollout !== undefined && !(isRecord(rollout) && isRolloutState(rollout['state']) && typeof rollout['message'] === 'string'))
      throw bad(`${at}.rollout must be a rollout status with a known state and a message`);
    entries[key] = e as unknown as StateEntry;
  }
  const memory = data['rollout'];
  if (memory !== undefined && !isRecord(memory)) throw bad('rollout must be an object');
  const sets = data['sets'];
  if (sets !== undefined) {
    if (!isRecord(sets)) throw bad('sets must be an object');
    for (const [key, value] of Object.entries(sets)) {
      const members = isRecord(value) ? value['members'] : undefined;
      if (typeof members !== 'number' || !Number.isInteger(members) || members < 0)
        throw bad(`sets[${JSON.stringify(key)}].members must be a non-negative integer`);
    }
  }
  return {
    version: STATE_VERSION,
    coderUrl: data['coderUrl'],
    entries,
    ...(memory ? { rollout: memory as RolloutMemory } : {}),
    ...(sets ? { sets: sets as NonNullable<StateFile['sets']> } : {}),
  };
}

function isRolloutState(value: unknown): boolean {
  return typeof value === 'string' && (ROLLOUT_STATES as readonly string[]).includes(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
