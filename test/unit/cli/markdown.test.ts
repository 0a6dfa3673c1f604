// `plan -o markdown` is posted as a pull-request comment, which GitHub renders
// with inline HTML: text from the pull request must stay text, inside its cell.
import { describe, expect, it } from 'vitest';
import { renderErrorsMarkdown, renderPlanMarkdown } from '../../../src/cli/markdown.ts';
import { loadFromText } from '../../../src/gitops/load.ts';
import type { PlanReport } from '../../../src/gitops/run.ts';
import { desired, observed } from '../engine/fixtures.ts';
import { VersionNames } from '../../../src/engine/version-names.ts';

const EVIL = 'd|x</code>**b**<img src=//e.x/t>';

/** Cell separators GFM sees: a `|` not escaped by a backslash. */
function separators(row: string): number {
  return row.match(/(?<!\\)\|/g)?.length ?? 0;
}

function tableRows(md: string): string[] {
  return md.split('\n').filter((l) => l.startsWith('| '));
}

function expectInert(md: string): void {
  // Code spans are literal: what is outside them must hold no tag but ours and no emphasis.
  const outsideCode = md.replace(/\\`/g, '').replace(/`[^`]*`/g, '');
  expect(outsideCode).not.toMatch(/<(?!br>|details>|\/details>|summary>|\/summary>)/);
  expect(outsideCode).not.toMatch(/(?<!\\)\*\*b(?<!\\)\*\*/);
  for (const row of tableRows(md)) expect(separators(row), row).toBe(4);
}

describe('plan -o markdown', () => {
  it('escapes spec values in the plan table and the blocked list', () => {
    const plan = {
      key: 'team-a/x',
      desired: desired({ key: 'team-a/x', template: EVIL }),
      observed: undefined,
      actions: [{ kind: 'create' as const, create: { owner: 'alice', name: 'x', template: EVIL, parameters: [] }, recreate: false }],
      blocked: [],
      drift: [],
    };
    const blocked = {
      key: 'team-a/y',
      desired: desired({ key: 'team-a/y' }),
      observed: observed(),
      actions: [],
      blocked: [{ field: 'spec.template', reason: 'TemplateMismatch' as const, message: `the workspace uses ${EVIL}\nnot docker` }],
      drift: [],
    };
    const report: PlanReport = {
      plans: [plan, blocked],
      prunes: [],
      statuses: new Map(),
      adoptions: new Set(),
      versions: new VersionNames({ templateVersion: () => Promise.reject(new Error('not read')) }),
    };
    const md = renderPlanMarkdown(report);
    expectInert(md);
    expect(md).toContain(
      '| `team-a/x` | ➕ create | create (owner alice, template d\\|x&lt;/code>\\*\\*b\\*\\*&lt;img src=//e.x/t>, name x, ttl template default, autostart off) |',
    );
    expect(md).toContain('- `team-a/y` (`spec.template`): the workspace uses d\\|x&lt;/code>\\*\\*b\\*\\*&lt;img src=//e.x/t> not docker');
  });

  it('escapes what the loader quotes from a document (an unknown field) in the errors table', () => {
    const doc =
      'apiVersion: coderops.dev/v1alpha1\nkind: Workspace\nmetadata: {name: x}\n' +
      `spec:\n  owner: alice\n  template: docker\n  "${EVIL}\`y": 1\n`;
    const { errors } = loadFromText('evil|`x`.yaml', doc);
    expect(errors.length).toBeGreaterThan(0);
    const md = renderErrorsMarkdown(errors);
    expectInert(md);
    expect(md).toContain(
      "| `evil\\|'x'.yaml:7:3` document 1 | `spec[\"d\\|x</code>**b**<img src=//e.x/t>'y\"]` | " +
        'unknown field "d\\|x&lt;/code>\\*\\*b\\*\\*&lt;img src=//e.x/t>\\`y" |',
    );
  });
});
