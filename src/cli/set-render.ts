// How a plan shows what each WorkspaceSet expanded to, the same words in
// text, markdown and JSON: `set team-a/devs: 120 members, 3 new, 1 leaving (orphan)`.
import type { SetSummary } from '../gitops/set-expansion.ts';

/** One line per set. */
export function setLine(s: SetSummary): string {
  const parts = [`${s.members} member${s.members === 1 ? '' : 's'}`, `${s.joining.length} new`];
  if (s.leaving.length > 0) parts.push(`${s.leaving.length} leaving (${leavingOutcomes(s)})`);
  const generators = s.generators.map((g) => `${g.describe}: ${g.members}`).join('; ');
  return `set ${s.key}: ${parts.join(', ')} [${s.syncPolicy}; ${generators}]`;
}

/** `orphan`, or `2 kept, 1 delete` when they differ. */
function leavingOutcomes(s: SetSummary): string {
  const counts = new Map<string, number>();
  for (const l of s.leaving) counts.set(l.outcome, (counts.get(l.outcome) ?? 0) + 1);
  if (counts.size === 1) return [...counts.keys()][0]!;
  return [...counts].map(([outcome, n]) => `${n} ${outcome}`).join(', ');
}

/** The machine-readable form (`-o json`): counts and keys, no more than the plan already holds per workspace. */
export function setJson(s: SetSummary): unknown {
  return {
    key: s.key,
    file: s.source.file,
    document: s.source.document,
    syncPolicy: s.syncPolicy,
    members: s.members,
    children: s.children,
    generators: s.generators,
    joining: s.joining,
    leaving: s.leaving,
  };
}
