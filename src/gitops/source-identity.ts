// Which source a state entry was recorded from, and which entries a run may
// treat as its own. A state entry is keyed by `namespace/metadata.name`, so
// two sources sharing one state file (two repositories, or two refs of one,
// followed from one directory with the default .cwo-state.json) would read
// each other's entries as declarations they dropped, and prune them. Each
// entry therefore records the whole source identity, and a run refuses a
// state file that holds entries of another source, unless the user names
// that source (`--state-source-takeover NAME`): a repository that moved, a
// branch that was renamed, or a state file of version 1.
import { sep } from 'node:path';
import type { StateEntry, StateFile } from './state.ts';
import { StateError } from './state.ts';

/** Every local file (and stdin) is one source: the paths given to a run scope it. */
export const FILES_SOURCE = 'files';
/**
 * Git entries of state version 1 recorded only `git:<path>`, not the
 * repository: they belong to no source until one takes them over by name.
 */
export const LEGACY_GIT_SOURCE = 'legacy-git';

/** The source of one run, how it names its files in the state, and the part of it this run read. */
export interface RunSource {
  /** `files`, or `<repository>#<ref>` for git: what the state-source flags name. */
  name: string;
  /** For git: recorded in each entry (repository without credentials; the ref as given, `refs/heads/` dropped). */
  repository?: { url: string; ref: string };
  /** A declaration's file as recorded in the entry's `source`. */
  record(file: string): string;
  /** The recorded file names of this run's paths: prune and binding hand-over stay inside them. */
  scope: string[];
}

/** The source an entry was recorded from, by name. */
export function sourceOf(entry: Pick<StateEntry, 'source' | 'repository' | 'ref'>): string {
  if (entry.repository !== undefined) return gitSourceName(entry.repository, entry.ref ?? '');
  return entry.source.startsWith('git:') ? LEGACY_GIT_SOURCE : FILES_SOURCE;
}

export function gitSourceName(repository: string, ref: string): string {
  return `${repository}#${normalizeRef(ref)}`;
}

/** `refs/heads/main` and `main` are one branch. */
export function normalizeRef(ref: string): string {
  return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : ref;
}

/**
 * Two names of one source: the host's case, a trailing slash and a trailing
 * `.git` of the repository do not make another repository.
 */
export function sameSource(a: string, b: string): boolean {
  return canonical(a) === canonical(b);
}

function canonical(name: string): string {
  const hash = name.lastIndexOf('#');
  if (hash < 0) return name;
  let repo = name.slice(0, hash).replace(/\/+$/, '');
  if (repo.toLowerCase().endsWith('.git')) repo = repo.slice(0, -4);
  try {
    const u = new URL(repo);
    if (u.host !== '') repo = `${u.protocol}//${u.host.toLowerCase()}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    // a local path or scp-like `git@host:org/repo`: compared as written
  }
  return `${repo}#${name.slice(hash + 1)}`;
}

/**
 * The state as this run may use it: refused (StateError, nothing changed)
 * when it holds entries of a source other than the run's and the user did
 * not name that source in `takeover`; entries of a named source are
 * relabelled as the run's own, so it can bind, rename and prune them.
 */
export function claimState(state: StateFile, path: string, run: RunSource, takeover: readonly string[]): StateFile {
  const foreign = new Map<string, number>();
  for (const entry of Object.values(state.entries)) {
    const from = sourceOf(entry);
    if (!sameSource(from, run.name)) foreign.set(from, (foreign.get(from) ?? 0) + 1);
  }
  if (foreign.size === 0) return state;
  const unclaimed = [...foreign.keys()].filter((from) => !takeover.some((t) => sameSource(t, from)));
  if (unclaimed.length > 0) {
    const list = unclaimed.map((from) => `${from} (${foreign.get(from)} workspace${foreign.get(from) === 1 ? '' : 's'})`).join(', ');
    throw new StateError(
      `state file ${path} records workspaces of ${list}, not of this run's source ${run.name}; nothing was changed in Coder. ` +
        'Give each source a state file of its own (--state FILE), or, if this source is meant to take over what that one ' +
        `recorded (a moved repository, a renamed branch, a state file of an earlier version), run with ${unclaimed
          .map((from) => `--state-source-takeover ${from}`)
          .join(' ')}`,
    );
  }
  // A local path recorded under a repository (or `git:` under files) would be in no run's scope again.
  const acrossKinds = [...foreign.keys()].filter((from) => (from === FILES_SOURCE) !== (run.repository === undefined));
  if (acrossKinds.length > 0) {
    throw new StateError(
      `state file ${path}: ${acrossKinds.join(', ')} cannot be taken over by ${run.name} (local files and git repositories name ` +
        'their files differently); give this source a state file of its own (--state FILE): its declarations are adopted ' +
        'again by owner and name at its first apply',
    );
  }
  const entries: StateFile['entries'] = {};
  for (const [key, entry] of Object.entries(state.entries)) {
    if (sameSource(sourceOf(entry), run.name)) {
      entries[key] = entry;
      continue;
    }
    const { repository: _r, ref: _f, ...rest } = entry;
    entries[key] = run.repository ? { ...rest, repository: run.repository.url, ref: run.repository.ref } : rest;
  }
  return { ...state, entries };
}

/** Is a recorded file one of, or inside one of, the recorded paths of a scope? */
export function withinScope(source: string, scope: readonly string[]): boolean {
  return scope.some((p) => source === p || (p !== '-' && source.startsWith(directoryPrefix(p))));
}

/** Git scopes (`git:dir`, `git:` for the whole repository) always use `/`; files use the platform's separator. */
function directoryPrefix(p: string): string {
  if (p === 'git:' || p.endsWith(sep) || p.endsWith('/')) return p;
  return p + (p.startsWith('git:') ? '/' : sep);
}
