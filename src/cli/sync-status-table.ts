// `status --status-file`: the sync status file as a table, no Coder call.
import type { SyncStatusFile } from '../gitops/sync-status.ts';

export function renderSyncStatus(status: SyncStatusFile): string {
  const short = (rev?: string) => (rev ? rev.slice(0, 12) : '-');
  const lines = [
    `Repository:  ${status.repo}  ref ${status.ref}  path ${status.path}`,
    `Applied:     ${short(status.lastAppliedRevision)}${status.lastAppliedTime ? ` at ${status.lastAppliedTime}` : ''}`,
    `Last run:    ${short(status.lastAttemptedRevision)}${status.lastAttemptTime ? ` at ${status.lastAttemptTime}` : ''}: ` +
      (status.result ?? '-'),
  ];
  for (const e of status.errors) {
    const where = e.file ? `${e.file}${e.line !== undefined ? `:${e.line}` : ''}: ` : e.workspace ? `${e.workspace}: ` : '';
    lines.push(`error (${e.reason}): ${where}${e.field ? `${e.field}: ` : ''}${e.message}`);
  }
  lines.push('');
  const header = ['WORKSPACE', 'CODER NAME', 'ID', 'BUILD', 'READY', 'SYNCED', 'LAST SYNC', 'DRIFT'];
  const rows = Object.entries(status.workspaces).map(([key, s]) => {
    const ready = s.conditions?.find((c) => c.type === 'Ready');
    const synced = s.conditions?.find((c) => c.type === 'Synced');
    return [
      key,
      s.name ?? '-',
      s.id ?? '(not created)',
      s.latestBuild ? `${s.latestBuild.transition}/${s.latestBuild.status}` : '-',
      ready ? `${ready.status} (${ready.reason})` : '-',
      synced ? `${synced.status} (${synced.reason})` : '-',
      s.lastSyncTime ?? '-',
      s.lastDrift && s.lastDrift.length > 0 ? s.lastDrift.join(',') : '-',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  lines.push(line(header), ...rows.map(line));
  if (rows.length === 0) lines.push('(no workspaces recorded yet)');
  return lines.join('\n');
}
