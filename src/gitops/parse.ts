// One file's text → its declarations. Every document is checked even when
// an earlier one is broken, so a user sees all their mistakes in one run.
import { codeFrameColumns } from '@babel/code-frame';
import { Composer, LineCounter, Parser, type Document, type YAMLError } from 'yaml';
import { API_VERSION, type RolloutPolicy, type Workspace, type WorkspaceSet } from '../api/schema.ts';
import {
  validateClusterCoderConnection,
  validateCoderConnection,
  validateWorkspace,
  validateWorkspaceSet,
  type FieldError,
  type Validated,
} from '../api/validate.ts';
import { formatPath } from '../api/field-error.ts';
import type { DeclarationError, IgnoredDocument, LoadedSet, LoadedWorkspace } from './declaration.ts';
import { locate, parseFieldPath, type PathSegment, type Position } from './locate.ts';
import { documentLimitErrors } from './limits.ts';
import { slipHint } from './slips.ts';

/** A valid Workspace and where its identity fields are, for the cross-document checks. */
export interface Declared {
  loaded: LoadedWorkspace;
  /** `items[3].` inside a List, else empty. */
  fieldPrefix: string;
  keyAt: Position | undefined;
  /** The field that gives the Coder name: spec.name when set, else metadata.name. */
  nameField: string;
  nameAt: Position | undefined;
}

export interface ParsedFile {
  declared: Declared[];
  /** WorkspaceSets, expanded into Workspaces against Coder by the run (set-expansion.ts). */
  sets: LoadedSet[];
  errors: DeclarationError[];
  ignored: IgnoredDocument[];
}

const OUR_KINDS: Record<string, (doc: unknown) => Validated<unknown>> = {
  Workspace: validateWorkspace,
  WorkspaceSet: validateWorkspaceSet,
  CoderConnection: validateCoderConnection,
  ClusterCoderConnection: validateClusterCoderConnection,
};

const OUR_KIND_NAMES = `Workspace, WorkspaceSet, CoderConnection and ClusterCoderConnection (apiVersion ${API_VERSION})`;
const SUPPORTED = `supported are ${OUR_KIND_NAMES}, and List (apiVersion v1)`;

interface Context {
  file: string;
  text: string;
  document: number;
  doc: Document.Parsed;
  lines: LineCounter;
  out: ParsedFile;
}

/** Code frames per file: enough to see the mistakes, bounded so a file of 10,000 broken documents stays fast. */
const FRAMES_PER_FILE = 20;

export function parseFile(file: string, text: string): ParsedFile {
  // Too many or too large documents are refused unparsed: the parser's cost grows with the text.
  const tooBig = documentLimitErrors(file, text);
  if (tooBig.length > 0) return { declared: [], sets: [], errors: tooBig, ignored: [] };
  const out: ParsedFile = { declared: [], sets: [], errors: [], ignored: [] };
  const lines = new LineCounter();
  // Documents are composed one at a time and dropped once checked, rather than
  // all parsed up front (parseAllDocuments): a file of 10,000 documents then
  // never holds 10,000 syntax trees at once, which was most of plan's memory.
  const documents = new Composer().compose(new Parser(lines.addNewLine).parse(text));
  // Numbered from 1, as people count (and as every message and -o json says).
  let document = 1;
  let declaresSomething = false;
  for (const doc of documents)
    declaresSomething = checkDocument({ file, text, document: document++, doc, lines, out }) || declaresSomething;
  if (!declaresSomething) {
    // Read as "nothing declared", an emptied or truncated file would make --prune delete all it used to declare.
    out.errors.push({
      file,
      message:
        'declares nothing (the file is empty, or holds only comments, --- and Lists without items); delete the file if that is meant',
    });
  }
  return out;
}

/** False for an empty document (or one of only comments, or a List without items): it declares nothing, right or wrong. */
function checkDocument(ctx: Context): boolean {
  const { doc, lines, out } = ctx;
  if (doc.errors.length > 0) {
    const seen = new Set<string>();
    for (const e of doc.errors) {
      const at = yamlPosition(e, lines, ctx.text);
      // One slip often yields two errors at one place (a bad indent: a nested mapping and a multi-line key).
      if (seen.has(`${at.line}:${at.column}`)) continue;
      seen.add(`${at.line}:${at.column}`);
      const ours = quotable(documentText(ctx));
      out.errors.push({
        file: ctx.file,
        document: ctx.document,
        line: at.line,
        column: at.column,
        message: at.why ? `${at.why} (${yamlMessage(e)})` : yamlMessage(e),
        ...(ours ? frame(ctx, at) : {}),
      });
    }
    return true;
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (e) {
    // e.g. too many aliases (a "billion laughs" document).
    fail(ctx, [], e instanceof Error ? e.message : String(e));
    return true;
  }
  if (value === null || value === undefined) return false;
  return dispatch(ctx, value, []);
}

/** False only for a List whose items (and their items) declare nothing: `items: []` is an empty file in disguise. */
function dispatch(ctx: Context, value: unknown, prefix: PathSegment[]): boolean {
  if (!isObject(value)) {
    fail(ctx, prefix, `expected a mapping with apiVersion and kind, found ${describe(value)}`);
    return true;
  }
  const { apiVersion, kind } = value;
  if (kind === 'List' && apiVersion === 'v1') {
    const items = value['items'];
    if (!Array.isArray(items)) {
      fail(ctx, [...prefix, 'items'], 'a List needs an items sequence');
      return true;
    }
    let declares = false;
    items.forEach((item, i) => {
      declares = dispatch(ctx, item, [...prefix, 'items', i]) || declares;
    });
    return declares;
  }
  const validate = typeof kind === 'string' ? OUR_KINDS[kind] : undefined;
  if (typeof kind !== 'string' || !Object.hasOwn(OUR_KINDS, kind) || !validate) {
    const what = kind === undefined ? 'missing kind' : `unsupported kind ${quote(kind)}`;
    const at = kind === undefined ? prefix : [...prefix, 'kind'];
    fail(ctx, at, `${what} (apiVersion ${quote(apiVersion)}); ${SUPPORTED}`);
    return true;
  }
  if (apiVersion !== API_VERSION) {
    fail(ctx, [...prefix, 'apiVersion'], `${kind} needs apiVersion ${API_VERSION}, found ${quote(apiVersion)}`);
    return true;
  }
  const result = validate(value);
  if (!result.ok) {
    for (const e of result.errors) fieldError(ctx, prefix, e);
    return true;
  }
  // A connection is a declaration (of the operator's); a run of only connections declares no Workspace, which prune refuses (run.ts).
  if (kind === 'Workspace') declare(ctx, result.value as Workspace, prefix);
  else if (kind === 'WorkspaceSet') {
    const set = result.value as WorkspaceSet;
    ctx.out.sets.push({
      source: { file: ctx.file, document: ctx.document },
      set,
      key: `${set.metadata.namespace ?? 'default'}/${set.metadata.name}`,
    });
  } else {
    // Kept so the CLI can say it does not read a connection's rollout policy (the operator does).
    const spec = (result.value as { spec?: { rollout?: RolloutPolicy } }).spec;
    const name = (result.value as { metadata?: { name?: string } }).metadata?.name;
    ctx.out.ignored.push({
      file: ctx.file,
      document: ctx.document,
      kind,
      ...(name !== undefined ? { name } : {}),
      ...(spec?.rollout ? { rollout: spec.rollout } : {}),
    });
  }
  return true;
}

function declare(ctx: Context, workspace: Workspace, prefix: PathSegment[]): void {
  const namespace = workspace.metadata.namespace ?? 'default';
  const nameField = workspace.spec.name !== undefined ? 'spec.name' : 'metadata.name';
  const fieldPrefix = prefix.length > 0 ? `${formatPath(prefix)}.` : '';
  ctx.out.declared.push({
    loaded: {
      source: { file: ctx.file, document: ctx.document },
      workspace,
      key: `${namespace}/${workspace.metadata.name}`,
      coderName: workspace.spec.name ?? workspace.metadata.name,
    },
    fieldPrefix,
    keyAt: locate(ctx.doc, ctx.lines, [...prefix, 'metadata', 'name']),
    nameField,
    nameAt: locate(ctx.doc, ctx.lines, [...prefix, ...parseFieldPath(nameField)]),
  });
}

function fieldError(ctx: Context, prefix: PathSegment[], e: FieldError): void {
  const segments = [...prefix, ...parseFieldPath(e.path)];
  const hint = slipHint(segments, ctx.doc.getIn(segments));
  fail(ctx, segments, hint ? `${e.message}; ${hint}` : e.message);
}

function fail(ctx: Context, segments: PathSegment[], message: string): void {
  const at = locate(ctx.doc, ctx.lines, segments);
  const field = segments.length > 0 ? formatPath(segments) : undefined;
  ctx.out.errors.push({
    file: ctx.file,
    document: ctx.document,
    ...(field !== undefined ? { field } : {}),
    ...(at ? { line: at.line, column: at.column } : {}),
    message,
    ...(at && quotable(documentText(ctx)) ? frame(ctx, at) : {}),
  });
}

const framesMade = new WeakMap<ParsedFile, number>();

/** One line's text (1-based), without reading the file past it. */
function lineText(lines: LineCounter, text: string, line: number): string {
  const start = lines.lineStarts[line - 1];
  if (start === undefined) return '';
  const end = lines.lineStarts[line] ?? text.length;
  return text.slice(start, end).replace(/\r?\n$/, '');
}

/**
 * Only a Workspace's lines are quoted in a code frame: it holds no secret
 * (tokens live in Secrets and flags). A connection names a URL that may
 * carry a password (refused, and never to be echoed), and a file that is
 * not ours at all (a Secret beside the workspaces) is not quoted either.
 */
function quotable(text: string): boolean {
  return /\bkind["']?\s*:\s*["']?Workspace\b/.test(text) && !/Connection\b|\bSecret\b|:\/\/[^/\s"']*@/.test(text);
}

/** The document's own text (for the checks on what may be quoted). */
function documentText(ctx: Context): string {
  const range = ctx.doc.range;
  return ctx.text.slice(range[0], range[2]);
}

/** Two lines above, one below, a caret at the column: what a person needs to find the spot. */
function frame(ctx: Context, at: { line: number; column: number }): { frame?: string } {
  const made = framesMade.get(ctx.out) ?? 0;
  if (made >= FRAMES_PER_FILE) return {};
  framesMade.set(ctx.out, made + 1);
  // Only the lines shown, each cut at 160 characters: a frame is for finding the place, not reading a 3 MB value.
  const first = Math.max(1, at.line - 2);
  const near: string[] = [];
  const last = lineText(ctx.lines, ctx.text, at.line + 1).trim() === '' ? at.line : at.line + 1;
  for (let l = first; l <= last; l++) {
    const t = lineText(ctx.lines, ctx.text, l);
    near.push(t.length > 160 ? `${t.slice(0, 160)}…` : t);
  }
  // code-frame counts columns from 0.
  const where = { line: at.line - first + 1, column: Math.min(at.column, 161) - 1 };
  const shown = codeFrameColumns(near.join('\n'), { start: where }, { linesAbove: 2, linesBelow: 1, highlightCode: false });
  // Line numbers as in the file, not in the excerpt.
  return {
    frame: shown.replace(/^([> ]\s*)(\d+)( \|)/gm, (_m, pre: string, n: string, bar: string) => `${pre}${Number(n) + first - 1}${bar}`),
  };
}

/**
 * Where a person has to edit. The parser reports a line that is indented
 * too far as an error in the line before it (`owner: alice` followed by
 * `   template: docker` reads as a value running on into a key), so for
 * those errors the position moves to the line that starts the run-on, and
 * the message says what happened.
 */
function yamlPosition(e: YAMLError, lines: LineCounter, text: string): { line: number; column: number; why?: string } {
  const start = lines.linePos(e.pos[0]);
  const end = lines.linePos(Math.max(e.pos[0], e.pos[1] - 1));
  if ((e.code === 'BLOCK_AS_IMPLICIT_KEY' || e.code === 'MULTILINE_IMPLICIT_KEY') && end.line > start.line) {
    const next = lineText(lines, text, start.line + 1);
    const column = next.search(/\S/) + 1;
    return { line: start.line + 1, column, why: `line ${start.line + 1} is indented more than the line above: check its indentation` };
  }
  if (e.code === 'BLOCK_AS_IMPLICIT_KEY') {
    // The nested mapping starts on the next line: the companion MULTILINE_IMPLICIT_KEY error says where.
    const next = lineText(lines, text, start.line + 1);
    if (/^\s+\S/.test(next))
      return {
        line: start.line + 1,
        column: next.search(/\S/) + 1,
        why: `line ${start.line + 1} is indented more than the line above: check its indentation`,
      };
  }
  return { line: start.line, column: start.col };
}

/**
 * The yaml library appends " at line L, column C:" and the offending source
 * lines to its messages. We report the position separately and drop the
 * excerpt: it could quote a line of a file that was never meant for us
 * (a Secret in the same directory, say).
 */
function yamlMessage(e: YAMLError): string {
  const first = e.message.split('\n', 1)[0] ?? e.message;
  return first.replace(/ at line \d+, column \d+:?\s*$/, '');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a sequence';
  return `a ${typeof value}`;
}

function quote(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
