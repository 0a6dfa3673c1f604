// Bounds on what one run reads, checked before the YAML parser sees a byte:
// parsing costs time and memory in proportion to the text (an 8 MiB document
// of small mappings took the parser about a minute and 1.2 GB here), so a
// huge or hostile input must be refused by its size, not by the errors it
// would produce once parsed. Each bound is far above what a real repository
// of declarations needs; docs/input-rules.md ("Sizes") lists them.
import type { DeclarationError } from './declaration.ts';

const MiB = 1024 * 1024;

export const LIMITS = {
  /** One file (or stdin, or one git blob). */
  fileBytes: 8 * MiB,
  /** One YAML document (a List counts as one). Kubernetes itself stores objects of at most 1.5 MiB. */
  documentBytes: 2 * MiB,
  documentsPerFile: 50_000,
  /** Declaration files read in one run (-f paths, or the tree under --path). */
  files: 10_000,
  /** All of them together. */
  totalBytes: 64 * MiB,
} as const;

export function size(bytes: number): string {
  return bytes >= MiB ? `${(bytes / MiB).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

export function fileTooBig(bytes: number): string {
  return `is ${size(bytes)}, more than the ${size(LIMITS.fileBytes)} a declaration file may have; split it`;
}

/** What "holds" / "hold" too much, or undefined when `files` files of `bytes` in all are within the bounds. */
export function overRunBounds(files: number, bytes: number): string | undefined {
  if (files > LIMITS.files) return `more than ${LIMITS.files} declaration files, the most one run reads`;
  if (bytes > LIMITS.totalBytes) return `more than ${size(LIMITS.totalBytes)} of declaration files, the most one run reads`;
  return undefined;
}

/** Counts what one run reads, so the bounds on files and bytes hold across directories. */
export class ReadBudget {
  files = 0;
  bytes = 0;
  #over = false;
  /**
   * Why one more file of `bytes` may not be read, or undefined when it may.
   * Past the run's bound on files or bytes, the first refusal says so and
   * later ones are '' (refused, nothing new to report).
   */
  take(bytes: number): string | undefined {
    if (bytes > LIMITS.fileBytes) return fileTooBig(bytes);
    const over = overRunBounds(this.files + 1, this.bytes + bytes);
    if (over !== undefined) {
      const first = !this.#over;
      this.#over = true;
      return first ? `not read: the paths given hold ${over}` : '';
    }
    this.files++;
    this.bytes += bytes;
    return undefined;
  }
}

/**
 * What to do about a document that is too big. Many workspaces in one
 * document (a List) can be split; one huge value cannot, and splitting the
 * document would not help: say where the value is.
 */
function sizeAdvice(text: string, start: number, end: number, startLine: number): string {
  let longest = 0;
  let longestLine = startLine;
  let line = startLine;
  for (let at = start; at < end; line++) {
    const next = text.indexOf('\n', at);
    const stop = next === -1 || next > end ? end : next;
    if (stop - at > longest) {
      longest = stop - at;
      longestLine = line;
    }
    at = stop + 1;
  }
  if (longest * 2 >= end - start)
    return (
      `line ${longestLine} alone is ${size(longest)}: no workspace setting needs a value that large ` +
      '(Kubernetes stores objects of at most 1.5 MiB); check what was pasted there'
    );
  return 'split it into documents separated by --- (a List into several)';
}

// A document starts at a `---` line; `...` ends one. Markers are only
// markers at the start of a line, and YAML allows no scalar to run past one,
// so splitting at them finds the documents without parsing.
const MARKER = /^(---|\.\.\.)(?=[ \t\r\n]|$)/gm;

/**
 * The document count and sizes of a file's text, checked with one scan:
 * the errors name the document (from 1, as the parser's callers count) and its line.
 */
export function documentLimitErrors(file: string, text: string): DeclarationError[] {
  if (text.length <= LIMITS.documentBytes && text.length < LIMITS.documentsPerFile * 4) return []; // cannot exceed either bound
  const errors: DeclarationError[] = [];
  let document = -1;
  let start = 0;
  let startLine = 1;
  let line = 1;
  let lineAt = 0;
  const lineOf = (offset: number): number => {
    for (let i = text.indexOf('\n', lineAt); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
      line++;
      lineAt = i + 1;
    }
    return line;
  };
  const close = (end: number) => {
    if (end - start > LIMITS.documentBytes) {
      errors.push({
        file,
        document: Math.max(document, 0) + 1,
        line: startLine,
        message: `the document is ${size(end - start)}, more than the ${size(LIMITS.documentBytes)} one document may have; ${sizeAdvice(text, start, end, startLine)}`,
      });
    }
  };
  // Content before the first `---` is a document of its own, unless it is only blank lines and comments.
  const first = text.search(MARKER);
  const head = first === -1 ? text : text.slice(0, first);
  if (/^[ \t]*[^\s#]/m.test(head)) document = 0;
  for (const m of text.matchAll(MARKER)) {
    if (m[1] !== '---') continue;
    close(m.index);
    document++;
    if (document >= LIMITS.documentsPerFile) {
      errors.push({
        file,
        document: document + 1,
        line: lineOf(m.index),
        message: `has more than ${LIMITS.documentsPerFile} documents, the most one file may have; split it`,
      });
      return errors;
    }
    start = m.index;
    startLine = lineOf(m.index);
  }
  close(text.length);
  return errors;
}
