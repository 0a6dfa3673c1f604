// Maps a validation field path (`spec.parameters[2].name`) onto the parsed
// YAML document, so an error points at the line a person has to edit. A field
// that is missing (a required one, say) points at its nearest present parent,
// and failing that at the start of the document.
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export interface Position {
  line: number;
  column: number;
}

export type PathSegment = string | number;

/**
 * Splits `a.b[2].c` into `['a', 'b', 2, 'c']`: the inverse of formatPath in
 * src/api/field-error.ts, which writes an odd key (a label such as
 * `app.kubernetes.io/name`) as a JSON string in brackets.
 */
export function parseFieldPath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  const token = /\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|\['([^']*)'\]|\.?([^.[\]]+)/g;
  for (const m of path.matchAll(token)) {
    if (m[1] !== undefined) segments.push(Number(m[1]));
    else if (m[2] !== undefined) segments.push(JSON.parse(`"${m[2]}"`) as string);
    else if (m[3] !== undefined) segments.push(m[3]);
    else if (m[4] !== undefined) segments.push(m[4]);
  }
  return segments;
}

/** Where `path` is in `doc`: the key of a mapping entry, or the item of a sequence. */
export function locate(doc: Document.Parsed, lines: LineCounter, path: PathSegment[] | string): Position | undefined {
  const segments = typeof path === 'string' ? parseFieldPath(path) : path;
  let node: unknown = doc.contents;
  let offset = startOf(node);
  for (const segment of segments) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      offset = startOf(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (item === undefined) break;
      offset = startOf(item) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  offset ??= doc.range?.[0];
  if (offset === undefined) return undefined;
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

function startOf(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}
