// GitHub refuses a comment over 65,536 characters, and a plan of hundreds of
// workspaces is larger than that. This fits a markdown plan into a budget:
// the summary always, then each section's items in order while they fit,
// and a note saying how much was left out and where the whole plan is.

/** Below GitHub's 65,536 with room for what a CI step adds around the comment. */
export const MARKDOWN_LIMIT = 60_000;

export interface MarkdownSection {
  /** Lines before the items (a heading, a table header, `<details>`); left out with the section when it has no items. */
  open: string[];
  items: string[];
  close: string[];
  /** The line that stands for items left out, e.g. `| … | 12 more | |`. */
  more: (omitted: number) => string;
}

/** Room kept for the notes the budget adds itself. */
const NOTE_ROOM = 600;

export function fitMarkdown(
  head: string[],
  sections: MarkdownSection[],
  note: (omitted: number, total: number) => string,
  limit = MARKDOWN_LIMIT,
): string {
  const present = sections.filter((s) => s.items.length > 0);
  const size = (lines: string[]) => lines.reduce((n, l) => n + l.length + 1, 0);
  let budget = limit - NOTE_ROOM - size(head) - present.reduce((n, s) => n + size(s.open) + size(s.close), 0);
  let omitted = 0;
  let total = 0;
  const body: string[] = [];
  for (const s of present) {
    const kept: string[] = [];
    // In order, stopping at the first item that does not fit: a reader sees a prefix, never a sample.
    for (const item of s.items) {
      if (item.length + 1 > budget) break;
      kept.push(item);
      budget -= item.length + 1;
    }
    total += s.items.length;
    const left = s.items.length - kept.length;
    omitted += left;
    body.push(...s.open, ...kept, ...(left > 0 ? [s.more(left)] : []), ...s.close);
  }
  const lines = [...head, ...(omitted > 0 ? [note(omitted, total), ''] : []), ...body];
  return lines.join('\n');
}
