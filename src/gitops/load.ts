// Loads Workspace declarations from files, directories or stdin, validates
// every document, and checks them against each other. All problems are
// collected rather than thrown: the caller acts only when `errors` is empty,
// and the user gets every mistake in one run.
import type { DeclarationError, LoadedSet, LoadResult } from './declaration.ts';
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
    if ('error' in source) parsed.push({ declared: [], sets: [], errors: [source.error], ignored: [] });
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
  const sets = files.flatMap((f) => f.sets);
  const errors: DeclarationError[] = [...files.flatMap((f) => f.errors), ...findDuplicates(declared), ...duplicateSets(sets)];
  return {
    workspaces: declared.map((d) => d.loaded),
    sets,
    errors,
    ignored: files.flatMap((f) => f.ignored),
  };
}

/** Two WorkspaceSets of one namespace and name: which one's members and children count is not for us to guess. */
function duplicateSets(sets: LoadedSet[]): DeclarationError[] {
  const first = new Map<string, LoadedSet>();
  const errors: DeclarationError[] = [];
  for (const s of sets) {
    const earlier = first.get(s.key);
    if (!earlier) {
      first.set(s.key, s);
      continue;
    }
    errors.push({
      file: s.source.file,
      document: s.source.document,
      field: 'metadata.name',
      message: `WorkspaceSet ${s.key} is also declared in ${earlier.source.file} (document ${earlier.source.document})`,
    });
  }
  return errors;
}
