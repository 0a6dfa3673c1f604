// A git repository as a source of declarations, read-only. A remote (or a
// local path, for sync) is cloned once, bare, into a cache dir and fetched
// afterwards; files are read from the object database at a commit with
// ls-tree + cat-file, never checked out, so there is no working tree to get
// dirty or out of step. Nothing here writes to the repository itself.
import { createHash } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { runGit, GitError } from './git.ts';
import { withoutUserInfo } from './git-auth.ts';
import type { Source } from './files.ts';
import { fileTooBig, LIMITS, overRunBounds } from './limits.ts';
import { gitSourceName, normalizeRef, type RunSource } from './source-identity.ts';

/** Why a source could not give a tree: each becomes a reason in the status file. */
type SourceFailure = 'FetchFailed' | 'RefNotFound' | 'PathNotFound';

export class SourceError extends Error {
  override name = 'SourceError';
  readonly reason: SourceFailure;
  constructor(reason: SourceFailure, message: string) {
    super(message);
    this.reason = reason;
  }
}

interface GitSourceOptions {
  /** URL, or a local path (resolved against cwd). */
  repo: string;
  env: NodeJS.ProcessEnv;
  /** Root of the clone caches; each repository gets `<root>/<sha256(url) prefix>`. */
  cacheRoot: string;
  timeoutMs?: number;
  /**
   * Read a local repository where it is instead of cloning it (plan in CI on
   * the checkout at hand). Its refs are then whatever that repository has.
   */
  inPlace?: boolean;
}

export interface TreeFile {
  /** Repo-relative, `/`-separated. */
  path: string;
  text: string;
}

/** A file of the tree, or why it was not read (too large, or the tree is). */
type TreeEntry = TreeFile | { path: string; error: string };

/** Tree entries as the loader takes them: a refused file is an error naming it. */
export function treeSources(entries: TreeEntry[]): Source[] {
  return entries.map((e) => ('error' in e ? { error: { file: e.path, message: e.error } } : { file: e.path, text: e.text }));
}

const EXTENSIONS = /\.(ya?ml|json)$/i;
// Fetched into refs/remotes/origin so a remote branch named like a tag or a
// commit id cannot shadow one; --prune makes a deleted branch vanish here too.
const REFSPECS = ['+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*'];

export function defaultCacheRoot(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'coder-workspace-operator', 'git');
}

export class GitSource {
  readonly url: string;
  /** The repository as shown in messages and files: no credentials. */
  readonly display: string;
  readonly dir: string;
  readonly #opts: GitSourceOptions;
  #cloned = false;

  constructor(opts: GitSourceOptions, cwd = process.cwd()) {
    this.#opts = opts;
    this.url = isUrl(opts.repo) ? opts.repo : resolve(cwd, opts.repo);
    this.display = withoutUserInfo(this.url);
    const id = createHash('sha256').update(this.display).digest('hex').slice(0, 16);
    this.dir = opts.inPlace ? this.url : join(opts.cacheRoot, id);
  }

  /** Clone on first use (into a temp name, renamed when complete), fetch afterwards. */
  async fetch(extraRefs: string[] = []): Promise<void> {
    if (this.#opts.inPlace) return;
    const refspecs = [...REFSPECS, ...extraRefs.map((r) => `+${r}:${r}`)];
    try {
      if (!this.#cloned && !(await exists(join(this.dir, 'HEAD')))) {
        await removeAbandonedClones(this.dir);
        const temp = `${this.dir}.${process.pid}.tmp`;
        await rm(temp, { recursive: true, force: true });
        try {
          await mkdir(temp, { recursive: true, mode: 0o700 });
          await this.#git(['init', '--bare', '--quiet'], temp);
          await this.#git(['fetch', '--quiet', '--prune', '--no-tags', '--', this.url, ...refspecs], temp);
          await rename(temp, this.dir).catch(async (e) => {
            if (!(await exists(join(this.dir, 'HEAD')))) throw e; // else another process won the race
          });
        } finally {
          // A failed clone (unreachable, refused, timed out) or a lost race leaves nothing behind.
          await rm(temp, { recursive: true, force: true });
        }
      } else {
        // By URL every time: the clone's config never holds the URL or a credential.
        await this.#git(['fetch', '--quiet', '--prune', '--no-tags', '--', this.url, ...refspecs]);
      }
      this.#cloned = true;
    } catch (e) {
      throw new SourceError('FetchFailed', `cannot fetch ${this.display}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Branch, tag, `refs/...` name or commit id (full or abbreviated) to a full commit id. */
  async resolve(ref: string): Promise<string> {
    const candidates = this.#opts.inPlace
      ? [ref]
      : ref.startsWith('refs/')
        ? [ref]
        : [`refs/remotes/origin/${ref}`, `refs/tags/${ref}`, ...(/^[0-9a-f]{4,64}$/i.test(ref) ? [ref] : [])];
    for (const c of candidates) {
      const out = await this.#git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${c}^{commit}`], this.dir, [1, 128]);
      if (out.code === 0) return out.stdout.toString('utf8').trim();
    }
    throw new SourceError('RefNotFound', `ref "${ref}" not found in ${this.display} (no such branch, tag or commit)`);
  }

  /** Is `ancestor` in the history of `commit`? False too when `ancestor` is not known here any more. */
  async isAncestor(ancestor: string, commit: string): Promise<boolean> {
    const out = await this.#git(['merge-base', '--is-ancestor', ancestor, commit], this.dir, [1, 128]);
    return out.code === 0;
  }

  /**
   * The declaration files under `path` at `commit`: *.yaml, *.yml, *.json
   * below a directory (hidden entries skipped, like the file loader), or the
   * one file `path` names whatever its extension.
   */
  async readTree(commit: string, path: string): Promise<TreeEntry[]> {
    const dir = normalizePath(path);
    const shown = dir === '' ? '/' : dir;
    if (dir !== '') {
      const type = await this.#git(['cat-file', '-t', `${commit}:${dir}`], this.dir, [1, 128]);
      const kind = type.code === 0 ? type.stdout.toString('utf8').trim() : 'missing';
      if (kind === 'blob') return this.#readSized(commit, [await this.#blob(commit, dir)], shown);
      if (kind !== 'tree')
        throw new SourceError('PathNotFound', `path "${shown}" does not exist at ${commit.slice(0, 12)} in ${this.display}`);
    }
    // -l: each blob's size, so the bounds are checked before a byte of it is read.
    const listing = await this.#git(['ls-tree', '-r', '-l', '-z', '--full-tree', commit, ...(dir ? ['--', `${dir}/`] : [])]);
    const entries: Blob[] = [];
    for (const record of listing.stdout.toString('utf8').split('\0')) {
      const m = /^(\d+) (\w+) ([0-9a-f]+) +(\d+|-)\t(.*)$/s.exec(record);
      if (m?.[2] !== 'blob' || m[1] === '120000') continue; // trees, submodules and symlinks are not declarations
      const file = m[5]!;
      const below = dir ? file.slice(dir.length + 1) : file;
      if (below.split('/').some((part) => part.startsWith('.')) || !EXTENSIONS.test(file)) continue;
      entries.push({ path: file, sha: m[3]!, size: Number(m[4]) });
    }
    if (entries.length === 0) {
      // With --prune, an empty tree would read as "delete everything": refuse it, as the file loader does.
      throw new SourceError('PathNotFound', `no .yaml, .yml or .json files under "${shown}" at ${commit.slice(0, 12)} in ${this.display}`);
    }
    entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return this.#readSized(commit, entries, shown);
  }

  /** The blobs within the bounds of one run, read; the rest (or the whole tree, when it is past them) refused by name. */
  async #readSized(commit: string, entries: Blob[], shown: string): Promise<TreeEntry[]> {
    const over = overRunBounds(
      entries.length,
      entries.reduce((sum, e) => sum + e.size, 0),
    );
    if (over !== undefined) return [{ path: shown, error: `not read: "${shown}" at ${commit.slice(0, 12)} holds ${over}` }];
    const fits = entries.filter((e) => e.size <= LIMITS.fileBytes);
    const read = new Map((await this.#readBlobs(fits)).map((f) => [f.path, f]));
    return entries.map((e) => read.get(e.path) ?? { path: e.path, error: fileTooBig(e.size) });
  }

  async #blob(commit: string, path: string): Promise<Blob> {
    const sha = (await this.#git(['rev-parse', '--verify', `${commit}:${path}`])).stdout.toString('utf8').trim();
    const size = Number((await this.#git(['cat-file', '-s', sha])).stdout.toString('utf8').trim());
    return { path, sha, size };
  }

  /** All blobs in one `cat-file --batch` process: `<sha> blob <size>\n<bytes>\n` each. */
  async #readBlobs(entries: Blob[]): Promise<TreeFile[]> {
    if (entries.length === 0) return [];
    const out = (await this.#git(['cat-file', '--batch'], this.dir, [], `${entries.map((e) => e.sha).join('\n')}\n`)).stdout;
    const files: TreeFile[] = [];
    let at = 0;
    for (const entry of entries) {
      const eol = out.indexOf(0x0a, at);
      const header = out.subarray(at, eol).toString('utf8').split(' ');
      if (header[1] !== 'blob') throw new GitError(`cannot read ${entry.path}: ${header.join(' ')}`, null);
      const size = Number(header[2]);
      files.push({ path: entry.path, text: out.subarray(eol + 1, eol + 1 + size).toString('utf8') });
      at = eol + 1 + size + 1;
    }
    return files;
  }

  #git(args: string[], cwd = this.dir, okCodes: number[] = [], input?: string) {
    return runGit(args, {
      cwd,
      env: this.#opts.env,
      timeoutMs: this.#opts.timeoutMs ?? 120_000,
      okCodes,
      ...(input !== undefined ? { input } : {}),
    });
  }
}

/**
 * The source of a run over `path` of a repository at a ref, as the state
 * records it: the repository (shown without credentials) and ref in every
 * entry, files named `git:<repo-relative path>` whatever the clone's
 * location, and the prune scope in the same terms, only ever within --path.
 */
export function gitSources(repository: string, ref: string, path: string): RunSource {
  const dir = normalizePath(path);
  const normalized = normalizeRef(ref);
  return {
    name: gitSourceName(repository, normalized),
    repository: { url: repository, ref: normalized },
    record: (file) => `git:${file}`,
    scope: [dir === '' ? 'git:' : `git:${dir}`],
  };
}

/** `./workspaces/` -> `workspaces`; `.` or `/` -> the whole repository (''). */
export function normalizePath(path: string): string {
  return path
    .split('/')
    .filter((p) => p !== '' && p !== '.')
    .join('/');
}

interface Blob {
  path: string;
  sha: string;
  size: number;
}

function isUrl(repo: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[\w.-]+@[\w.-]+:/.test(repo);
}

/**
 * `<dir>.<pid>.tmp` siblings of a process that no longer runs: a clone
 * interrupted by a kill. Only names of exactly that form are touched.
 */
async function removeAbandonedClones(dir: string): Promise<void> {
  const prefix = `${basename(dir)}.`;
  const names = await readdir(dirname(dir)).catch(() => [] as string[]);
  for (const name of names) {
    const pid = name.startsWith(prefix) && name.endsWith('.tmp') ? name.slice(prefix.length, -'.tmp'.length) : '';
    if (!/^[1-9][0-9]*$/.test(pid) || Number(pid) === process.pid || isRunning(Number(pid))) continue;
    await rm(join(dirname(dir), name), { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
