// Where the state really lives. A state path that is a symlink must be
// locked, read and written at its target: locking `link.lock` while another
// run locks `target.lock` lets both run at once, and the atomic rename of a
// write would replace the symlink with a file, splitting the state in two.
import { readlink, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { StateError } from './state.ts';

/** Symlinks followed this many times at most: a loop is an error, not a hang. */
const MAX_LINKS = 40;

/**
 * The absolute path the state is at: symlinks followed to their target,
 * even one that does not exist yet (the first apply creates it there), and
 * the directory's own symlinks resolved, so two spellings of one file give
 * one path (and so one lock).
 */
export async function resolveStatePath(path: string): Promise<string> {
  let current = resolve(path);
  for (let hops = 0; hops < MAX_LINKS; hops++) {
    try {
      return await realpath(current);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw cannotResolve(path, e);
    }
    // Missing: either no file at all, or a symlink whose target does not exist yet.
    let target: string;
    try {
      target = await readlink(current);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EINVAL') return join(await realDirectory(dirname(current), path), basename(current));
      throw cannotResolve(path, e);
    }
    current = isAbsolute(target) ? target : resolve(dirname(current), target);
  }
  throw new StateError(`state file ${path}: more than ${MAX_LINKS} symlinks (a loop?)`);
}

/** The directory resolved, or as given when it does not exist yet (apply creates it). */
async function realDirectory(dir: string, path: string): Promise<string> {
  try {
    return await realpath(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return dir;
    throw cannotResolve(path, e);
  }
}

function cannotResolve(path: string, e: unknown): StateError {
  return new StateError(`cannot read state file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
}
