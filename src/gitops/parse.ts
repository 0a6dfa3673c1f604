// One file's text → its declarations. Every document is checked even when
// an earlier one is broken, so a user sees all their mistakes in one run.
import { Composer, LineCounter, Parser, type Document, type YAMLError } from 'yaml';
import { API_VERSION, type Workspace } from '../api/schema.ts';
import {
  validateClusterCoderConnection,
  validateCoderConnection,
  validateWorkspace,
  type FieldError,
  type Validated,
} from '../api/validate.ts';
import { formatPath } from '../api/field-error.ts';
import type { DeclarationError, IgnoredDocument, LoadedWorkspace } from './declaration.ts';
import { locate, parseFieldPath, type PathSegment, type Position } from './locate.ts';
import { documentLimitErrors } from './limits.ts';

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
  errors: DeclarationError[];
  ignored: IgnoredDocument[];
}

const OUR_KINDS: Record<string, (doc: unknown) => Validated<unknown>> = {
  Workspace: validateWorkspace,
  CoderConnection: validateCoderConnection,
  ClusterCoderConnection: validateClusterCoderConnection,
};

const OUR_KIND_NAMES = `Workspace, CoderConnection and ClusterCoderConnection (apiVersion ${API_VERSION})`;
const SUPPORTED = `supported are ${OUR_KIND_NAMES}, and List (apiVersion v1)`;

interface Context {
  file: string;
  document: number;
  doc: Document.Parsed;
  lines: LineCounter;
  out: ParsedFile;
}

export function parseFile(file: string, text: string): ParsedFile {
  // Too many or too large documents are refused unparsed: the parser's cost grows with the text.
  const tooBig = documentLimitErrors(file, text);
  if (tooBig.length > 0) return { declared: [], errors: tooBig, ignored: [] };
  const out: ParsedFile = { declared: [], errors: [], ignored: [] };
  const lines = new LineCounter();
  // Documents are composed one at a time and dropped once checked, rather than
  // all parsed up front (parseAllDocuments): a file of 10,000 documents then
  // never holds 10,000 syntax trees at once, which was most of plan's memory.
  const documents = new Composer().compose(new Parser(lines.addNewLine).parse(text));
  // Numbered from 1, as people count (and as every message and -o json says).
  let document = 1;
  let declaresSomething = false;
  for (const doc of documents) declaresSomething = checkDocument({ file, document: document++, doc, lines, out }) || declaresSomething;
  if (!declaresSomething) {
    // Read as "nothing declared", an emptied or truncated file would make --prune delete all it used to declare.
    out.errors.push({
      file,
      message: 'declares nothing (the file is empty, or holds only comments and ---); delete the file if that is meant',
    });
  }
  return out;
}

/** False for an empty document (or one of only comments): it declares nothing, right or wrong. */
function checkDocument(ctx: Context): boolean {
  const { doc, lines, out } = ctx;
  if (doc.errors.length > 0) {
    for (const e of doc.errors)
      out.errors.push({ file: ctx.file, document: ctx.document, ...yamlPosition(e, lines), message: yamlMessage(e) });
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
  dispatch(ctx, value, []);
  return true;
}

function dispatch(ctx: Context, value: unknown, prefix: PathSegment[]): void {
  if (!isObject(value)) {
    fail(ctx, prefix, `expected a mapping with apiVersion and kind, found ${describe(value)}`);
    return;
  }
  const { apiVersion, kind } = value;
  if (kind === 'List' && apiVersion === 'v1') {
    const items = value['items'];
    if (!Array.isArray(items)) {
      fail(ctx, [...prefix, 'items'], 'a List needs an items sequence');
      return;
    }
    items.forEach((item, i) => dispatch(ctx, item, [...prefix, 'items', i]));
    return;
  }
  const validate = typeof kind === 'string' ? OUR_KINDS[kind] : undefined;
  if (typeof kind !== 'string' || !Object.hasOwn(OUR_KINDS, kind) || !validate) {
    const what = kind === undefined ? 'missing kind' : `unsupported kind ${quote(kind)}`;
    const at = kind === undefined ? prefix : [...prefix, 'kind'];
    fail(ctx, at, `${what} (apiVersion ${quote(apiVersion)}); ${SUPPORTED}`);
    return;
  }
  if (apiVersion !== API_VERSION) {
    fail(ctx, [...prefix, 'apiVersion'], `${kind} needs apiVersion ${API_VERSION}, found ${quote(apiVersion)}`);
    return;
  }
  const result = validate(value);
  if (!result.ok) {
    for (const e of result.errors) fieldError(ctx, prefix, e);
    return;
  }
  if (kind === 'Workspace') declare(ctx, result.value as Workspace, prefix);
  else ctx.out.ignored.push({ file: ctx.file, document: ctx.document, kind });
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
  fail(ctx, segments, e.message);
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
  });
}

function yamlPosition(e: YAMLError, lines: LineCounter): { line?: number; column?: number } {
  const { line, col } = lines.linePos(e.pos[0]);
  return { line, column: col };
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
