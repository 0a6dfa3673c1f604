// docs/cli.md documents every command and every flag the program has, and
// no flag it does not have: each command's section names its own flags, or
// links to the shared group (## Flags shared by several commands) that does.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src/cli/program.ts';
import { slug } from './markdown-links.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const doc = readFileSync(join(ROOT, 'docs/cli.md'), 'utf8');
const program = buildProgram(() => {});

interface Section {
  heading: string;
  level: number;
  text: string;
}

/** The doc cut at its headings; a section's text runs to the next heading of its level or above. */
function sections(): Section[] {
  const lines = doc.split('\n');
  const starts = lines.flatMap((line, i) => {
    const m = /^(#{2,3}) (.+)$/.exec(line);
    return m ? [{ i, level: m[1]!.length, heading: m[2]! }] : [];
  });
  return starts.map((s, n) => {
    const end = starts.slice(n + 1).find((t) => t.level <= s.level)?.i ?? lines.length;
    return { heading: s.heading, level: s.level, text: lines.slice(s.i, end).join('\n') };
  });
}

const all = sections();
const byAnchor = new Map(all.map((s) => [slug(s.heading), s]));

/** A command's section and the shared groups it links to. */
function documentation(cmd: Command): string {
  const own = all.find((s) => s.heading === `\`${cmd.name()}\``);
  if (!own) throw new Error(`docs/cli.md has no "## \`${cmd.name()}\`" section`);
  const groups = [...own.text.matchAll(/\]\(#([\w-]+)\)/g)].map((m) => byAnchor.get(m[1]!)?.text ?? '');
  return [own.text, ...groups].join('\n');
}

/** The long flags written as the first cell of a table row, e.g. "| `--max-prune N`, `N%`, `all` |". */
function tableFlags(text: string): string[] {
  return [...text.matchAll(/^\| ([^|]+)\|/gm)].flatMap((m) => [...m[1]!.matchAll(/`(?:-\w, )?(--[a-z][\w-]*)/g)].map((f) => f[1]!));
}

const longFlags = (cmd: Command) => cmd.options.map((o) => o.long!).filter((f) => f !== undefined);

describe('docs/cli.md', () => {
  it('has a section for every command', () => {
    expect(program.commands.map((c) => c.name())).toEqual(
      expect.arrayContaining(['validate', 'plan', 'apply', 'status', 'sync', 'export', 'completion', 'run']),
    );
    for (const cmd of program.commands) expect(doc).toContain(`## \`${cmd.name()}\`\n`);
  });

  for (const cmd of program.commands) {
    it(`documents every flag of ${cmd.name()}, in its section or a group it links to`, () => {
      const text = documentation(cmd);
      const missing = longFlags(cmd).filter((flag) => !new RegExp(`\`(-\\w, )?${flag}[\` ]`).test(text));
      expect(missing, `flags of ${cmd.name()} missing from docs/cli.md`).toEqual([]);
    });
  }

  it('lists no flag in a table that no command has', () => {
    const known = new Set(program.commands.flatMap(longFlags));
    const shared = all.find((s) => s.heading === 'Flags shared by several commands')!;
    const commandSections = all.filter((s) => /^`\w+`$/.test(s.heading));
    const listed = [shared, ...commandSections].flatMap((s) => tableFlags(s.text));
    expect(listed.length).toBeGreaterThan(60);
    expect(listed.filter((f) => !known.has(f))).toEqual([]);
  });

  it("lists each command's own table flags only where the command has them", () => {
    for (const cmd of program.commands) {
      const own = all.find((s) => s.heading === `\`${cmd.name()}\``)!;
      const flags = new Set(longFlags(cmd));
      expect(
        tableFlags(own.text).filter((f) => !flags.has(f)),
        `docs/cli.md, ${cmd.name()}`,
      ).toEqual([]);
    }
  });

  it('gives the exit codes the program uses, for every command', () => {
    const exitCodes = doc.slice(doc.indexOf('## Exit codes'), doc.indexOf('## Environment'));
    expect(exitCodes).toMatch(/^\| command \| 0 \| 1 \| 2 \| 130 \|$/m);
    for (const cmd of program.commands) expect(exitCodes).toMatch(new RegExp(`^\\| \`${cmd.name()}\` \\|`, 'm'));
  });
});
