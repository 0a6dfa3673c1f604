// Loads Workspace declarations from files, directories or stdin, validates
// every document, and checks them against each other. All problems are
// collected rather than thrown: the caller acts only when `errors` is empty,
// and the user gets every mistake in one run.
import type { DeclarationError, LoadResult } from './declaration.ts';
import { findDuplicates } from './duplicates.ts';
import { readSources, type ReadOptions, type Source } from './files.ts';
import { parseFile, type ParsedFile } from './parse.ts';

export {
  formatDeclarationError,
  type DeclarationError,
  type IgnoredDocument,
  type LoadedWorkspace,
  type LoadResult,
} from './declaration.ts';

/**
 * `paths`: files (read whatever their extension), directories (every
 * *.yaml, *.yml and *.json below, sorted, hidden entries skipped), or `-`
 * for `opts.stdin` (default process.stdin). Relative paths are resolved
 * against `opts.cwd` and reported as given.
 */
export async function loadDeclarations(paths: string[], opts?: ReadOptions): Promise<LoadResult> {
  return loadFromSources(await readSources(paths, opts));
}

/** Texts read, or the reasons they could not be (a file too large, say), validated together. */
export function loadFromSources(sources: Source[]): LoadResult {
  const parsed: ParsedFile[] = [];
  for (const source of sources) {
    if ('error' in source) parsed.push({ declared: [], errors: [source.error], ignored: [] });
    else parsed.push(parseFile(source.file, source.text));
  }
  return combine(parsed);
}

/** The same for one text already in hand (tests, and git sources that read blobs). */
export function loadFromText(file: string, text: string): LoadResult {
  return combine([parseFile(file, text)]);
}

/**
 * Several texts already in hand (the files of a git tree), validated exactly
 * like files on disk, including the duplicate checks across files.
 */
export function loadFromTexts(files: { file: string; text: string }[]): LoadResult {
  return combine(files.map((f) => parseFile(f.file, f.text)));
}

function combine(files: ParsedFile[]): LoadResult {
  const declared = files.flatMap((f) => f.declared);
  const errors: DeclarationError[] = [...files.flatMap((f) => f.errors), ...findDuplicates(declared)];
  return {
    workspaces: declared.map((d) => d.loaded),
    errors,
    ignored: files.flatMap((f) => f.ignored),
  };
}
