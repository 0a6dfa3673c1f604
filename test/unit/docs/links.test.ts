// Every relative link in README.md, CONTRIBUTING.md, docs/**/*.md and the
// chart's and examples' READMEs points at a file that exists and, when it
// names an anchor in a markdown file, at a heading (or an explicit <a id>)
// that file has; every repository path they name in backticks exists. The
// docs are split by audience, so a section that moves takes its links along.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchorsOf, linksOf } from './markdown-links.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

function markdownFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : [],
    );
  // The chart's and the examples' READMEs link into docs/ too.
  return ['README.md', 'CONTRIBUTING.md', ...walk('docs'), 'helm/coder-workspace-operator/README.md', ...walk('examples')];
}

const anchorCache = new Map<string, Set<string>>();
function anchorsIn(file: string): Set<string> {
  let anchors = anchorCache.get(file);
  if (!anchors) {
    anchors = anchorsOf(readFileSync(join(ROOT, file), 'utf8'));
    anchorCache.set(file, anchors);
  }
  return anchors;
}

describe('relative links in the docs', () => {
  const files = markdownFiles();

  it('finds the docs it checks', () => {
    expect(files).toContain('docs/cli.md');
    expect(files.length).toBeGreaterThan(10);
  });

  for (const file of files) {
    it(`${file}: every relative link resolves`, () => {
      const broken: string[] = [];
      for (const link of linksOf(readFileSync(join(ROOT, file), 'utf8'))) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) continue; // https:, mailto: ...
        const [path = '', anchor] = link.target.split('#', 2) as [string, string | undefined];
        const target = path === '' ? file : relative(ROOT, resolve(ROOT, dirname(file), decodeURIComponent(path)));
        if (!existsSync(join(ROOT, target))) {
          broken.push(`line ${link.line}: ${link.target} (no file ${target})`);
          continue;
        }
        if (anchor === undefined || !target.endsWith('.md') || statSync(join(ROOT, target)).isDirectory()) continue;
        if (!anchorsIn(target).has(decodeURIComponent(anchor)))
          broken.push(`line ${link.line}: ${link.target} (${target} has no heading with the anchor #${anchor})`);
      }
      expect(broken, `${file} has broken links`).toEqual([]);
    });
  }

  // A path a doc names in code (`src/engine/diff.ts`) is a claim about the tree too:
  // a file moved or removed leaves the doc pointing at nothing.
  for (const file of files) {
    it(`${file}: every repository path it names in backticks exists`, () => {
      const text = readFileSync(join(ROOT, file), 'utf8');
      const named = [...text.matchAll(/`((?:src|test|bench|scripts|helm|examples|manifests|crds)\/[\w./-]+)`/g)].map((m) => m[1]!);
      expect(named.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
    });
  }
});
