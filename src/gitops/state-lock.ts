// An exclusive lock next to the state file (`<state>.lock`), held by apply
// and each sync tick from before the state is read until after it is
// written. Without it, two runs on one state file each record only their own
// workspaces and the last writer wins: the other's workspaces are forgotten
// and later planned as creates (duplicates). Creating the lock is also the
// proof that the state's directory is writable, before Coder is touched.
import { randomUUID } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { StateError } from './state.ts';

/** What the lock file holds: enough for a person to find the holder, and for us to tell a stale lock. */
interface LockHolder {
  pid: number;
  host: string;
  /** The pid namespace (Linux): containers sharing a hostname (host network) do not share pids. */
  pidNamespace: string;
  startedAt: string;
  command: string;
  /** Random per acquisition: release() removes only its own lock. */
  token: string;
}

interface StateLock {
  readonly path: string;
  release(): Promise<void>;
}

const PID_NAMESPACE = (() => {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return '';
  }
})();

/** Tokens of the locks this process holds now. */
const held = new Set<string>();

/** How old an empty lock file must be to be taken for the leftover of a crash. */
export const EMPTY_LOCK_STALE_MS = 60_000;

/** A lock file with nothing in it, and when it was last changed. */
interface EmptyLock {
  empty: true;
  mtimeMs: number;
}

export async function lockState(statePath: string, command: string): Promise<StateLock> {
  const path = `${statePath}.lock`;
  const holder: LockHolder = {
    pid: process.pid,
    host: hostname(),
    pidNamespace: PID_NAMESPACE,
    startedAt: new Date().toISOString(),
    command,
    token: randomUUID(),
  };
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  } catch (e) {
    throw cannotWrite(statePath, e);
  }
  // A second attempt only after a stale lock was taken away.
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await create(path, holder, statePath)) {
      held.add(holder.token);
      return { path, release: () => release(path, holder.token) };
    }
    const current = await readHolder(path);
    if (current === 'gone') continue; // released between our create and our read
    if (current === 'unreadable' || !isStale(current)) throw lockedBy(statePath, path, current);
    await takeAwayStale(path, current);
  }
  throw lockedBy(statePath, path, await readHolder(path));
}

/**
 * Exactly one process can create the lock, and it is complete when it
 * appears: written to a file of our own, then linked to its name. Returns
 * false when the lock exists. Where hard links are not supported, O_EXCL.
 */
async function create(path: string, holder: LockHolder, statePath: string): Promise<boolean> {
  const own = `${path}.${holder.token}.new`;
  if (!(await createExclusive(own, holder, statePath))) throw cannotWrite(statePath, new Error('a lock file of this run exists'));
  try {
    await link(own, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS' || code === 'EOPNOTSUPP')
      return createExclusive(path, holder, statePath);
    throw cannotWrite(statePath, e);
  } finally {
    await unlink(own).catch(() => undefined);
  }
}

/** O_EXCL: exactly one process can create the file. Returns false when it exists. */
async function createExclusive(path: string, holder: LockHolder, statePath: string): Promise<boolean> {
  let file;
  try {
    file = await open(path, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw cannotWrite(statePath, e);
  }
  try {
    await file.writeFile(`${JSON.stringify(holder)}\n`, 'utf8');
    await file.sync();
  } catch (e) {
    await file.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw cannotWrite(statePath, e);
  }
  await file.close();
  return true;
}

async function readHolder(path: string): Promise<LockHolder | EmptyLock | 'gone' | 'unreadable'> {
  let text: string;
  let mtimeMs: number;
  try {
    mtimeMs = (await stat(path)).mtimeMs;
    text = await readFile(path, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : 'unreadable';
  }
  if (text === '') return { empty: true, mtimeMs };
  try {
    const data = JSON.parse(text) as Partial<LockHolder>;
    if (typeof data.pid === 'number' && typeof data.host === 'string') {
      return {
        pid: data.pid,
        host: data.host,
        pidNamespace: String(data.pidNamespace ?? ''),
        startedAt: String(data.startedAt ?? '?'),
        command: String(data.command ?? '?'),
        token: String(data.token ?? ''),
      };
    }
  } catch {
    // fall through
  }
  // Half a lock (a crash of an earlier version in the middle of its write): never taken for stale.
  return 'unreadable';
}

/**
 * Only a lock of this host whose process is gone; another host's pids mean
 * nothing here. A lock with our own pid that we do not hold was left by an
 * earlier process that had the same pid: a container restarted keeps its
 * hostname and often its pid (1).
 */
function isStale(holder: LockHolder | EmptyLock): boolean {
  if ('empty' in holder) return Date.now() - holder.mtimeMs > EMPTY_LOCK_STALE_MS;
  if (holder.host !== hostname() || holder.pidNamespace !== PID_NAMESPACE) return false;
  if (holder.pid === process.pid) return !held.has(holder.token);
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH'; // EPERM: alive, another user's
  }
}

/**
 * Two runs may find the same stale lock at once. Each moves the lock aside
 * under a name of its own and checks that it moved the stale one: if it
 * moved a fresh lock instead (the other run already took over), it puts
 * that back with link(), which never replaces a file.
 */
async function takeAwayStale(path: string, stale: LockHolder | EmptyLock): Promise<void> {
  const aside = `${path}.${randomUUID()}.stale`;
  try {
    await rename(path, aside);
  } catch {
    return; // someone else moved it first; try to create ours again
  }
  const moved = await readHolder(aside);
  if (typeof moved === 'object' && sameLock(moved, stale)) {
    await unlink(aside).catch(() => undefined);
    return;
  }
  await link(aside, path).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

function sameLock(a: LockHolder | EmptyLock, b: LockHolder | EmptyLock): boolean {
  if ('empty' in a || 'empty' in b) return 'empty' in a && 'empty' in b && a.mtimeMs === b.mtimeMs;
  return a.token === b.token && a.pid === b.pid;
}

async function release(path: string, token: string): Promise<void> {
  held.delete(token);
  const current = await readHolder(path);
  if (typeof current === 'object' && !('empty' in current) && current.token === token) await unlink(path).catch(() => undefined);
}

function lockedBy(statePath: string, path: string, holder: LockHolder | EmptyLock | 'gone' | 'unreadable'): StateError {
  const who =
    typeof holder !== 'object'
      ? 'a process whose lock file cannot be read'
      : 'empty' in holder
        ? `a process that has not written its lock file yet (it is empty; one older than ${EMPTY_LOCK_STALE_MS / 1000} s is taken for a crash's leftover)`
        : `pid ${holder.pid} on ${holder.host} (${holder.command}, since ${holder.startedAt})`;
  return new StateError(
    `state file ${statePath} is locked by ${who}: another apply or sync is using it. ` +
      `Wait for it to finish; if no such process runs any more, delete ${path}`,
  );
}

function cannotWrite(statePath: string, e: unknown): StateError {
  const code = (e as NodeJS.ErrnoException).code;
  return new StateError(`cannot write state file ${statePath} (${code ?? String(e)}); nothing was changed in Coder`);
}
