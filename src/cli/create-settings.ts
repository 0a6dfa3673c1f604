// What a create sends, in words: every setting of the create request, so a
// reviewer of `+ create` sees the workspace that will exist (not just its
// owner and template). Settings applied after the create (favorite, a stop
// for running: false) are their own plan lines.
import { formatDuration } from '../api/duration.ts';
import type { CreatePlan } from '../engine/index.ts';

export function createSettings(c: CreatePlan): string {
  const parts = [`owner ${c.owner}`];
  if (c.organization !== undefined) parts.push(`organization ${c.organization}`);
  if (c.template !== undefined) parts.push(`template ${c.template}`);
  if (c.templateVersion !== undefined) parts.push(`template version ${c.templateVersion}`);
  if (c.version !== undefined) {
    const pinned = c.version.name ?? c.version.id;
    parts.push(c.version.policy === 'Pinned' ? `version ${pinned} (pinned)` : 'version: the active one');
  }
  parts.push(`name ${c.name}`);
  if (c.parameters.length > 0) parts.push(`parameters ${c.parameters.map((p) => `${p.name}=${JSON.stringify(p.value)}`).join(', ')}`);
  // Absent from the request: Coder's own defaults (the template's TTL, autostart off).
  parts.push(`ttl ${c.ttlMs !== undefined ? formatDuration(c.ttlMs) : 'template default'}`);
  parts.push(`autostart ${c.autostartSchedule !== undefined ? `"${c.autostartSchedule}"` : 'off'}`);
  if (c.automaticUpdates !== undefined) parts.push(`automatic updates ${c.automaticUpdates}`);
  return parts.join(', ');
}
