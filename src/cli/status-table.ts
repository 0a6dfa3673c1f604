// `status`: one row per declared workspace, with its Coder state and drift.
import type { PlanReport } from '../gitops/run.ts';

export function renderStatusTable(report: PlanReport): string {
  const header = ['WORKSPACE', 'OWNER', 'CODER NAME', 'ID', 'BUILD', 'READY', 'SYNCED', 'DRIFT'];
  const rows = report.plans.map((plan) => {
    const status = report.statuses.get(plan.key);
    const ready = status?.conditions?.find((c) => c.type === 'Ready');
    const synced = status?.conditions?.find((c) => c.type === 'Synced');
    const build = plan.observed ? `${plan.observed.latestBuild.transition}/${plan.observed.latestBuild.status}` : '-';
    // A dormant workspace cannot be used (Coder stops it and nobody can start it), whatever its last build says.
    const dormant = plan.observed?.dormant === true;
    return [
      plan.key,
      plan.desired.owner,
      plan.observed?.name ?? plan.desired.name,
      plan.observed?.id ?? '(not created)',
      dormant ? `dormant (${build})` : build,
      dormant ? 'False (Dormant)' : ready ? `${ready.status} (${ready.reason})` : '-',
      synced ? `${synced.status} (${synced.reason})` : '-',
      plan.drift.length > 0 ? plan.drift.join(',') : plan.blocked.map((b) => `blocked:${b.field}`).join(',') || '-',
    ];
  });
  for (const s of report.suspended ?? []) rows.push([s.key, s.owner, s.name, '-', '-', '-', 'False (Suspended)', '-']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
