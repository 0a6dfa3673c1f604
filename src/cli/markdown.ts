// `plan --output markdown`: a summary to post as a pull-request comment. One
// table row per workspace that would change, blocked items and errors with
// file:line, and the workspaces in sync folded away so a big repository's
// comment stays readable.
import { rolloutSummary, updateWhat } from './rollout-render.ts';
import { pendingOf } from '../engine/index.ts';
import type { DeclarationError } from '../gitops/load.ts';
import type { PlanReport } from '../gitops/run.ts';
import { countPlan, countsLine, describeAction, hasChanges, windowLine } from './render.ts';
import { fitMarkdown, MARKDOWN_LIMIT, type MarkdownSection } from './markdown-budget.ts';
import { setLine } from './set-render.ts';

const TITLE = '### coder-workspace-operator plan';
const SUSPENDED_DETAIL = 'spec.suspend: true: not reconciled; its workspace is left as it is';

// Everything below quotes text from the pull request (spec values, field
// names, Coder's messages about them), and GitHub renders the comment as
// GitHub-flavoured markdown with inline HTML: unescaped, a value could close
// a code span or cell, add HTML (an <img> fetches from any host) or bold
// text. So every quoted text goes through one of these.

/**
 * Plain text: HTML off (`&`, `<`), markdown punctuation escaped, and no
 * notifications or links from a value: an `@name` would ping that user or
 * team, and a bare URL would become a link. A zero-width space (as an
 * entity, after the escaping) breaks both and renders as nothing.
 */
export function mdText(text: string): string {
  return capped(oneLine(text))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/[\\`*_[\]~|]/g, '\\$&')
    .replace(/@/g, '@&#8203;')
    .replace(/(https?|ftp)(:\/\/)/gi, '$1&#8203;$2')
    .replace(/\bwww\./gi, 'www&#8203;.');
}

/** One value never takes the whole comment (a 3 MB parameter, say). */
const VALUE_LIMIT = 2_000;

function capped(text: string): string {
  return text.length > VALUE_LIMIT ? `${text.slice(0, VALUE_LIMIT)}… (${text.length - VALUE_LIMIT} more characters)` : text;
}

/** A table cell: plain text whose lines become <br> (a newline would end the row). */
function cell(text: string): string {
  return text.split(/\r?\n/).map(mdText).join('<br>');
}

/**
 * A code span. Its content is literal (no HTML, no emphasis), so only what
 * can end it matters: a backtick (no escape exists inside a span, so it is
 * shown as '), a newline, and inside a table an unescaped `|`, which GFM
 * splits cells on before it sees the span.
 */
function code(text: string, inTable = false): string {
  const body = capped(oneLine(text)).replace(/`/g, "'");
  return `\`${inTable ? body.replace(/\|/g, '\\|') : body}\``;
}

function oneLine(text: string): string {
  return text.replace(/\r?\n|\r/g, ' ');
}

/** More changes than this and the table is folded under its summary, so the comment opens on the counts. */
const OPEN_TABLE_ROWS = 20;

export function renderPlanMarkdown(report: PlanReport, source?: string, limit = MARKDOWN_LIMIT): string {
  const c = countPlan(report);
  const head = [TITLE, ''];
  if (source) head.push(`Source: ${source}`, '');
  head.push(`**${countsLine(c)}**`, '');
  for (const s of report.sets ?? []) head.push(`- ${mdText(setLine(s))}`);
  if ((report.sets ?? []).length > 0) head.push('');
  const rollout = rolloutSummary(report.plans, 'plan');
  if (rollout) head.push(mdText(rollout), '');
  const window = windowLine(report);
  if (window) head.push(mdText(window), '');
  const rows: string[] = [];
  const inSync: string[] = [];
  const observed: string[] = [];
  for (const plan of report.plans) {
    const changes: string[] = [];
    if (report.adoptions.has(plan.key) && plan.observed)
      changes.push(`adopt existing workspace ${plan.observed.ownerName}/${plan.observed.name}`);
    const described = plan.actions.map((action) => describeAction(plan.key, action, report.versions).replace(` ${plan.key}`, ''));
    // Observe only: drift nothing writes, listed apart from the changes.
    const writes = plan.desired.observeOnly ? [] : described;
    if (plan.desired.observeOnly && described.length > 0) observed.push(`- ${code(plan.key)}: ${mdText(described.join('; '))}`);
    changes.push(...writes);
    if (changes.length === 0) {
      if (plan.blocked.length === 0 && !pendingOf(plan) && writes.length === described.length) inSync.push(plan.key);
      continue;
    }
    const kind = writes.length === 0 ? '🔗 adopt' : plan.actions[0]?.kind === 'create' ? '➕ create' : '✏️ change';
    rows.push(`| ${code(plan.key, true)} | ${kind} | ${cell(changes.join('\n'))} |`);
  }
  for (const prune of report.prunes) {
    const where = `${prune.entry.owner}/${prune.entry.name}`;
    const what =
      prune.entry.deletionPolicy === 'Orphan'
        ? ['🔓 orphan', `stop managing ${where}; the workspace stays in Coder`]
        : ['🗑️ delete', `${where} (deletionPolicy Delete)`];
    rows.push(`| ${code(prune.entry.key, true)} | ${what[0]} | ${cell(what[1]!)} |`);
  }
  for (const s of report.suspended ?? []) rows.push(`| ${code(s.key, true)} | ⏸️ suspended | ${cell(SUSPENDED_DETAIL)} |`);
  if (rows.length === 0 && !hasChanges(report))
    head.push(
      c.observedDrift > 0
        ? 'No changes to apply (the observe-only drift below is not written).'
        : 'No changes: Coder matches the declarations.',
      '',
    );

  const blocked = report.plans.flatMap((p) => p.blocked.map((b) => `- ${code(p.key)} (${code(b.field)}): ${mdText(b.message)}`));
  const waiting = report.plans.flatMap((p) => {
    const pending = pendingOf(p);
    return pending ? [`- ${code(p.key)} (${mdText(updateWhat(p, report.versions))}; ${pending.reason}): ${mdText(pending.message)}`] : [];
  });
  const folded = rows.length > OPEN_TABLE_ROWS;
  const table = ['| Workspace | Change | Details |', '| --- | --- | --- |'];
  const sections: MarkdownSection[] = [
    { open: ['#### ⛔ Blocked (Coder would refuse these)', ''], items: blocked, close: [''], more: (n) => `- … ${n} more` },
    { open: ['#### ⏳ Updates waiting (rollout control; pending changes)', ''], items: waiting, close: [''], more: (n) => `- … ${n} more` },
    {
      open: ['#### 👁️ Drift not written (managementPolicies: [Observe])', ''],
      items: observed,
      close: [''],
      more: (n) => `- … ${n} more`,
    },
    {
      open: folded ? [`<details><summary>${rows.length} workspace change(s)</summary>`, '', ...table] : table,
      items: rows,
      close: folded ? ['', '</details>', ''] : [''],
      more: (n) => `| … | ${n} more | |`,
    },
    {
      open: [`<details><summary>${inSync.length} workspace(s) in sync</summary>`, ''],
      items: inSync.map((k) => `- ${code(k)}`),
      close: ['', '</details>', ''],
      more: (n) => `- … ${n} more`,
    },
  ];
  return fitMarkdown(
    head,
    sections,
    (omitted, total) =>
      `> [!NOTE]\n> ${omitted} of ${total} entries are not shown: a pull-request comment holds at most ${limit.toLocaleString('en')} ` +
      'characters. The whole plan is in the output of `cwo plan -o json` (or `cwo plan` as text), e.g. a CI job artifact.',
    limit,
  );
}

export function renderErrorsMarkdown(errors: DeclarationError[], source?: string): string {
  const sorted = [...errors].sort(
    (a, b) => a.file.localeCompare(b.file) || (a.document ?? 0) - (b.document ?? 0) || (a.line ?? 0) - (b.line ?? 0),
  );
  const lines = [`${TITLE}: ❌ ${errors.length} error(s)`, ''];
  if (source) lines.push(`Source: ${source}`, '');
  lines.push('| Location | Field | Error |', '| --- | --- | --- |');
  for (const e of sorted) {
    const where = `${e.file}${e.line !== undefined ? `:${e.line}` : ''}${e.column !== undefined ? `:${e.column}` : ''}`;
    const doc = e.document !== undefined ? ` document ${e.document}` : '';
    lines.push(`| ${code(where, true)}${doc} | ${e.field ? code(e.field, true) : ''} | ${cell(e.message)} |`);
  }
  lines.push('', 'Nothing was planned: every document must be valid before anything is applied.', '');
  return lines.join('\n');
}

/** A failure before any plan (unreachable repository, unknown ref, Coder down). */
export function renderFailureMarkdown(message: string, source?: string): string {
  return [`${TITLE}: ❌ failed`, '', ...(source ? [`Source: ${source}`, ''] : []), '```', message.replace(/```/g, "'''"), '```', ''].join(
    '\n',
  );
}
