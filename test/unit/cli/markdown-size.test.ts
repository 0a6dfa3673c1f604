// A pull-request comment holds at most 65,536 characters: the markdown plan
// of 600 workspaces being updated must fit in 60,000, summary first, the
// per-workspace table folded, and a note naming where the whole plan is.
// Text from the pull request must not ping anyone or become a link.
import { describe, expect, it } from 'vitest';
import { mdText, renderPlanMarkdown } from '../../../src/cli/markdown.ts';
import { MARKDOWN_LIMIT } from '../../../src/cli/markdown-budget.ts';
import type { Action, WorkspacePlan } from '../../../src/engine/types.ts';
import type { PlanReport } from '../../../src/gitops/run.ts';
import { desired, HOUR, observed } from '../engine/fixtures.ts';
import { VersionNames } from '../../../src/engine/version-names.ts';

/** An update as a real one looks: settings, then the stop and start that move it to a new version with new parameters. */
function updating(i: number): WorkspacePlan {
  const key = `platform-team/developer-workspace-${String(i).padStart(4, '0')}`;
  const versionId = '66666666-6666-4666-8666-666666666666';
  const parameters = [
    { name: 'cpu_cores', value: '8' },
    { name: 'memory_gb', value: '32' },
    { name: 'dotfiles_uri', value: 'https://github.com/example/dotfiles' },
  ];
  const actions: Action[] = [
    { kind: 'ttl', fromMs: 4 * HOUR, toMs: 8 * HOUR },
    { kind: 'autostart', from: null, to: 'CRON_TZ=Europe/Berlin 30 8 * * 1-5' },
    { kind: 'build', transition: 'stop', purpose: 'restart-stop' },
    { kind: 'build', transition: 'start', purpose: 'restart-start', versionId, parameters },
  ];
  return { key, desired: desired({ key }), observed: observed(), actions, blocked: [], drift: [] };
}

function report(plans: WorkspacePlan[]): PlanReport {
  return {
    plans,
    prunes: [],
    statuses: new Map(),
    adoptions: new Set(),
    versions: new VersionNames({ templateVersion: () => Promise.reject(new Error('no version is read here')) }),
  };
}

describe('plan -o markdown size', () => {
  const plans = Array.from({ length: 600 }, (_, i) => updating(i));

  it('600 workspaces being updated: over the limit unbounded, under 60,000 characters as rendered', () => {
    expect(renderPlanMarkdown(report(plans), undefined, Number.MAX_SAFE_INTEGER).length).toBeGreaterThan(MARKDOWN_LIMIT);
    const md = renderPlanMarkdown(report(plans));
    expect(md.length).toBeLessThanOrEqual(60_000);
    const lines = md.split('\n');
    expect(lines[2]).toBe('**Plan: 0 to create, 0 to adopt, 600 to change, 0 to delete, 0 to orphan, 0 blocked, 0 pending; 0 in sync.**');
    // The note comes before the table, and says how much is missing and where the whole plan is.
    const note = lines.findIndex((l) => l.includes('are not shown'));
    const table = lines.findIndex((l) => l.startsWith('| Workspace |'));
    expect(note).toBeGreaterThan(2);
    expect(note).toBeLessThan(table);
    const shown = lines.filter((l) => l.startsWith('| `platform-team/')).length;
    expect(shown).toBeGreaterThan(50);
    expect(lines[note]).toContain(`${600 - shown} of 600 entries are not shown`);
    expect(lines[note]).toContain('cwo plan -o json');
    expect(md).toContain(`| … | ${600 - shown} more | |`);
    // Folded: the table sits in a <details> whose summary counts every change.
    expect(lines[table - 2]).toBe('<details><summary>600 workspace change(s)</summary>');
    expect(md.trimEnd().endsWith('</details>')).toBe(true);
    // Rows are whole and in order: the first ones, never a sample.
    expect(lines[table + 2]).toContain('developer-workspace-0000');
  });

  it('a small plan is shown whole, its table open, with no note', () => {
    const md = renderPlanMarkdown(report(plans.slice(0, 3)));
    expect(md).not.toContain('not shown');
    expect(md).not.toContain('<details><summary>3 workspace change');
    expect(md.split('\n').filter((l) => l.startsWith('| `platform-team/'))).toHaveLength(3);
  });

  it('one huge value (a 3 MB parameter) is cut, not allowed to take the comment', () => {
    const big = updating(1);
    big.actions = [{ kind: 'build', transition: 'start', purpose: 'run', parameters: [{ name: 'blob', value: 'x'.repeat(3_000_000) }] }];
    const md = renderPlanMarkdown(report([big, updating(2)]));
    expect(md.length).toBeLessThan(10_000);
    expect(md).toContain('more characters)');
    expect(md).toContain('developer-workspace-0002');
  });
});

describe('mdText', () => {
  it('breaks @mentions, team mentions and bare-URL autolinks', () => {
    const out = mdText('ping @alice and @acme/admins, see https://evil.example/x, http://a.b and www.example.com, mail a@b.example');
    expect(out).not.toMatch(/@[A-Za-z]/);
    expect(out).not.toMatch(/https?:\/\//);
    expect(out).not.toMatch(/www\./);
    expect(out).toBe(
      'ping @&#8203;alice and @&#8203;acme/admins, see https&#8203;://evil.example/x, http&#8203;://a.b and ' +
        'www&#8203;.example.com, mail a@&#8203;b.example',
    );
  });
});
