// The links and heading anchors of a markdown file, as GitHub renders them:
// enough of CommonMark for our docs (no markdown parser is a dependency, and
// one is not worth adding for a test). Code blocks and code spans hold no
// links; a link's text may wrap over lines; anchors follow github-slugger.

export interface Link {
  target: string;
  line: number;
}

/** The text with fenced code blocks blanked out, newlines kept so line numbers hold. */
function withoutCodeBlocks(markdown: string): string {
  const lines = markdown.split('\n');
  let fence: string | undefined;
  const kept = lines.map((line) => {
    const opener = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence !== undefined) {
      if (opener !== undefined && opener[0] === fence[0] && opener.length >= fence.length) fence = undefined;
      return '';
    }
    if (opener !== undefined) {
      fence = opener;
      return '';
    }
    return line;
  });
  return kept.join('\n');
}

/** The text with code blocks and code spans blanked out. */
function withoutCode(markdown: string): string {
  // A code span: a run of backticks up to the next run of the same length (it may span lines).
  return withoutCodeBlocks(markdown).replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, (span) => span.replace(/[^\n]/g, ' '));
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

export function linksOf(markdown: string): Link[] {
  const text = withoutCode(markdown);
  const links: Link[] = [];
  // Inline links and images: [text](target) or [text](<target> "title"); the text may wrap.
  for (const m of text.matchAll(/!?\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+"[^"]*")?\s*\)/g))
    links.push({ target: m[1]!.replace(/^<|>$/g, ''), line: lineAt(text, m.index) });
  // Reference definitions: [label]: target
  for (const m of text.matchAll(/^ {0,3}\[[^\]]+\]:\s*(\S+)/gm)) links.push({ target: m[1]!, line: lineAt(text, m.index) });
  // HTML links.
  for (const m of text.matchAll(/<a\s[^>]*href="([^"]+)"/g)) links.push({ target: m[1]!, line: lineAt(text, m.index) });
  return links;
}

/** A heading's text as GitHub renders it: code spans keep their content, links their text, emphasis goes. */
function rendered(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`/g, '')
    .replace(/(\*\*|__|\*)/g, '');
}

/** github-slugger: lower case, drop what is not a letter, mark, digit, connector, space or hyphen, spaces to hyphens. */
export function slug(heading: string): string {
  return rendered(heading)
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const text = withoutCodeBlocks(markdown);
  for (const m of text.matchAll(/^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/gm)) {
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const m of markdown.matchAll(/<a\s[^>]*(?:id|name)="([^"]+)"/g)) anchors.add(m[1]!);
  return anchors;
}
