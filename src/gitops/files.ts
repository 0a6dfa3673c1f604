// Turns the paths a user gave into file texts: files as named, directories
// walked recursively in a fixed order, `-` for stdin. Problems become
// DeclarationErrors, never exceptions, so they are reported with the rest.
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import type { DeclarationError } from './declaration.ts';
import { LIMITS, ReadBudget, size } from './limits.ts';

export type Source = { file: string; text: string } | { error: DeclarationError };

export interface ReadOptions {
  stdin?: NodeJS.ReadableStream;
  cwd?: string;
}

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

export async function readSources(paths: string[], opts: ReadOptions = {}): Promise<Source[]> {
  const cwd = opts.cwd ?? process.cwd();
  const out: Source[] = [];
  // A file reached twice (named and inside a named directory) is read once,
  // or every declaration in it would collide with itself.
  const seen = new Set<string>();
  // Sizes are checked before a file is read: one huge file, or very many, must not cost the memory to read them.
  const budget = new ReadBudget();
  let stdinRead = false;

  if (paths.length === 0) {
    // Nothing declared would read as "delete everything" to apply --prune.
    return [{ error: { file: '-', message: 'no files or directories given' } }];
  }
  for (const given of paths) {
    if (given === '-') {
      if (stdinRead) out.push({ error: { file: '-', message: 'stdin (-) given more than once' } });
      else out.push(await readStdin(opts.stdin ?? process.stdin, budget));
      stdinRead = true;
      continue;
    }
    const absolute = resolve(cwd, given);
    const info = await stat(absolute).catch((e: unknown) => e as NodeJS.ErrnoException);
    if (info instanceof Error) {
      out.push({ error: { file: given, message: fsMessage(info) } });
    } else if (info.isDirectory()) {
      const found = await walk(absolute, given, out, seen, budget, new Set());
      if (found === 0) {
        // An empty directory is most likely a wrong path; with --prune it would delete everything recorded.
        out.push({ error: { file: given, message: 'no .yaml, .yml or .json files in this directory' } });
      }
    } else if (info.isFile()) {
      await readOne(absolute, given, out, seen, budget);
    } else {
      out.push({ error: { file: given, message: 'not a file or directory' } });
    }
  }
  return out;
}

/**
 * Depth-first, entries sorted by name (code points, not locale), hidden
 * entries skipped. Returns how many declaration files it found, counting
 * those read before through another path.
 */
async function walk(
  dir: string,
  shown: string,
  out: Source[],
  seen: Set<string>,
  budget: ReadBudget,
  visiting: Set<string>,
): Promise<number> {
  let found = 0;
  let entries;
  let real;
  try {
    real = await realpath(dir);
    if (visiting.has(real)) return 0; // a symlink loop
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    out.push({ error: { file: shown, message: fsMessage(e as NodeJS.ErrnoException) } });
    return 1; // reported; not also "empty"
  }
  visiting.add(real);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue; // .git, editor and OS files
    const absolute = join(dir, entry.name);
    const display = join(shown, entry.name);
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      const target = await stat(absolute).catch((e: unknown) => e as NodeJS.ErrnoException);
      if (target instanceof Error) {
        // A declaration file we cannot reach must not read as "declares nothing": --prune would delete what it declared.
        if (EXTENSIONS.has(extname(entry.name).toLowerCase())) {
          found += 1;
          out.push({ error: { file: display, message: `a symlink whose target cannot be read (${fsMessage(target)})` } });
        }
        continue;
      }
      isDir = target.isDirectory();
      isFile = target.isFile();
    }
    if (isDir) {
      found += await walk(absolute, display, out, seen, budget, visiting);
    } else if (isFile && EXTENSIONS.has(extname(entry.name).toLowerCase())) {
      found += 1;
      await readOne(absolute, display, out, seen, budget);
    }
  }
  visiting.delete(real);
  return found;
}

async function readOne(absolute: string, shown: string, out: Source[], seen: Set<string>, budget: ReadBudget): Promise<void> {
  try {
    const real = await realpath(absolute);
    if (seen.has(real)) return;
    seen.add(real);
    const refused = budget.take((await stat(real)).size);
    if (refused === undefined) out.push({ file: shown, text: await readFile(real, 'utf8') });
    else if (refused !== '') out.push({ error: { file: shown, message: refused } });
  } catch (e) {
    out.push({ error: { file: shown, message: fsMessage(e as NodeJS.ErrnoException) } });
  }
}

/** Stdin has no size to check first: it is read up to the bound, and refused past it. */
async function readStdin(stream: NodeJS.ReadableStream, budget: ReadBudget): Promise<Source> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    bytes += buffer.length;
    if (bytes > LIMITS.fileBytes) {
      // Stop reading; whatever is still being written to us is dropped when the process exits.
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      return { error: { file: '-', message: `is more than the ${size(LIMITS.fileBytes)} a declaration file may have; split it` } };
    }
    chunks.push(buffer);
  }
  const refused = budget.take(bytes);
  return refused === undefined
    ? { file: '-', text: Buffer.concat(chunks).toString('utf8') }
    : { error: { file: '-', message: refused || 'not read' } };
}

/** A short reason without the absolute path Node puts in its messages. */
function fsMessage(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    default:
      return e.code ? `cannot read (${e.code})` : `cannot read: ${e.message}`;
  }
}
