// The chart README's values table, made from the `# --` comments in values.yaml
// (the helm-docs convention): a key with such a comment is one row, its whole
// value the default; a map without one is described key by key. A value that
// has neither is an error, so a new value cannot ship undocumented.
import { isMap, isScalar, isSeq, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';

export const TABLE_BEGIN = '<!-- values:begin (generated from values.yaml by scripts/chart/readme.ts; do not edit) -->';
export const TABLE_END = '<!-- values:end -->';

export interface ValueRow {
  key: string;
  type: string;
  default: string;
  description: string;
}

/** The `-- ` block at the end of a comment, as one line; undefined when there is none. */
function docOf(comment: string | null | undefined): string | undefined {
  if (!comment) return undefined;
  const lines = comment.split('\n').map((l) => l.replace(/^ ?/, ''));
  const start = lines.findLastIndex((l) => l.startsWith('-- '));
  if (start < 0) return undefined;
  return lines
    .slice(start)
    .map((l, i) => (i === 0 ? l.slice(3) : l))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function typeOf(node: unknown): string {
  if (isMap(node)) return 'object';
  if (isSeq(node)) return 'list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'null';
    if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
    return typeof v;
  }
  return 'unknown';
}

/** JSON, so an empty string shows as "" and a map or list as itself. */
function defaultOf(node: Node | null): string {
  return JSON.stringify(node ? node.toJSON() : null);
}

/** Rows in values.yaml's order; throws naming every value that has no `# --` comment. */
export function valueRows(valuesYaml: string): ValueRow[] {
  const doc = parseDocument(valuesYaml);
  if (doc.errors.length > 0) throw new Error(`values.yaml: ${doc.errors[0]!.message}`);
  const rows: ValueRow[] = [];
  const undocumented: string[] = [];
  const walk = (map: YAMLMap, path: string[]) => {
    map.items.forEach((item, i) => {
      const pair = item as Pair<Node, Node | null>;
      const key = [...path, String(isScalar(pair.key) ? pair.key.value : pair.key)].join('.');
      // The first key's comment is attached to its map (or, at the top, it follows the file's header).
      const description = docOf(pair.key?.commentBefore) ?? (i === 0 ? docOf(map.commentBefore) : undefined);
      if (description !== undefined) {
        rows.push({ key, type: typeOf(pair.value), default: defaultOf(pair.value), description });
      } else if (isMap(pair.value) && pair.value.items.length > 0) {
        walk(pair.value, key.split('.'));
      } else {
        undocumented.push(key);
      }
    });
  };
  if (!isMap(doc.contents)) throw new Error('values.yaml: the top level is not a map');
  walk(doc.contents, []);
  if (undocumented.length > 0)
    throw new Error(`values.yaml: no "# -- " comment for ${undocumented.join(', ')} (document the value, or its parent map)`);
  return rows;
}

const cell = (text: string) => text.replaceAll('|', '\\|');

export function valuesTable(valuesYaml: string): string {
  const rows = valueRows(valuesYaml).map(
    (r) => `| \`${r.key}\` | ${r.type} | ${r.default.length > 0 ? `\`${cell(r.default)}\`` : ''} | ${cell(r.description)} |`,
  );
  return ['| Key | Type | Default | Description |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** The README with its table replaced; throws when the markers are missing. */
export function withValuesTable(readme: string, valuesYaml: string): string {
  const begin = readme.indexOf(TABLE_BEGIN);
  const end = readme.indexOf(TABLE_END);
  if (begin < 0 || end < begin) throw new Error(`README: the markers ${TABLE_BEGIN} ... ${TABLE_END} are missing`);
  return `${readme.slice(0, begin + TABLE_BEGIN.length)}\n${valuesTable(valuesYaml)}\n${readme.slice(end)}`;
}
