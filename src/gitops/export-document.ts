// One Coder workspace as a Workspace declaration (`cwo export`): every field
// we manage, as Coder has it, typed by the one schema and checked with the
// project's own validator, so that `plan` on the result finds nothing to
// change. Pure: no I/O, the same workspace always gives the same document.
//
// A field Coder holds in a form a declaration cannot say (a schedule in a
// time zone Go would refuse, a TTL that is not whole minutes), or one whose
// management would fight Coder later (`running: true` against an auto-stop
// TTL), is left out, which means "not managed", with a note saying why. The
// round trip holds either way: what is not declared is never changed.
import { formatDuration, ttlFromSpec } from '../api/duration.ts';
import { parseWeeklySchedule, sameSchedule, toCoderSchedule } from '../api/schedule.ts';
import { API_VERSION, type AutostartSpec, type Workspace, type WorkspaceSpec, type WorkspaceVersionSpec } from '../api/schema.ts';
import { validateWorkspace } from '../api/validate.ts';
import type { WorkspaceBuildParameter } from '../coder/types.ts';
import type { ObservedWorkspace } from '../engine/index.ts';

/** Fields exported by default that `--omit` may leave unmanaged. */
export const OMITTABLE_FIELDS = ['autostart', 'ttl', 'dormant', 'automaticUpdates', 'version'] as const;
export type OmittableField = (typeof OMITTABLE_FIELDS)[number];

/**
 * auto: `Active` for a workspace on its template's active version, `Pinned`
 * to its current version otherwise (left out when Coder itself moves it to
 * the active version at its next start); pinned: always `Pinned` to the
 * current version; none: the version is not managed.
 */
export type VersionPolicy = 'auto' | 'pinned' | 'none';

export interface DocumentOptions {
  /** metadata.namespace (custom resources for a namespace); absent in plain files. */
  namespace?: string;
  /** spec.connectionRef, for custom resources that use another connection than the namespace's `default`. */
  connectionRef?: { kind: 'CoderConnection' | 'ClusterCoderConnection'; name: string };
  /** managementPolicies: [Observe]. */
  observe: boolean;
  versionPolicy: VersionPolicy;
  omit: ReadonlySet<OmittableField>;
  /** Export spec.running from the latest build. */
  running: boolean;
}

interface ExportInput {
  workspace: ObservedWorkspace;
  /** The owner's favorite flag; undefined when not read (left unmanaged). */
  favorite?: boolean;
  /** The latest build's values of the parameters its version defines, ephemeral ones dropped; undefined when not read. */
  parameters?: WorkspaceBuildParameter[];
}

export interface ExportedDocument {
  /** The Coder workspace as `owner/name`, for messages. */
  ref: string;
  document: Workspace;
  /** Fields left out and why: written as comments above the document. */
  notes: string[];
}

export interface SkippedWorkspace {
  ref: string;
  /** Why no declaration was written for it. */
  reason: string;
}

const BUSY = new Set(['pending', 'starting', 'stopping', 'canceling', 'deleting']);
const VERSION_NAME_MAX = 64;

/**
 * metadata.name of an exported workspace: `<owner>--<name>`, lower-cased.
 * Coder usernames and workspace names are letters, digits and single
 * hyphens, unique ignoring case (names per owner), so neither part contains
 * `--` and the pair is recovered by splitting at it: two workspaces never
 * get the same name, and the same workspace always gets this one. At most
 * 32 + 2 + 32 characters, a valid DNS-1123 subdomain.
 */
export function exportName(owner: string, name: string): string {
  return `${owner.toLowerCase()}--${name.toLowerCase()}`;
}

export function toDocument(input: ExportInput, opts: DocumentOptions): ExportedDocument | SkippedWorkspace {
  const ws = input.workspace;
  const ref = `${ws.ownerName}/${ws.name}`;
  if (ws.latestBuild.transition === 'delete')
    return { ref, reason: `its latest build is a delete (${ws.latestBuild.status}): a declaration of it would create it again` };
  const notes: string[] = [];
  const spec: WorkspaceSpec = {
    ...(opts.connectionRef ? { connectionRef: { ...opts.connectionRef } } : {}),
    owner: ws.ownerName,
    organization: ws.organizationName,
    name: ws.name,
    template: ws.templateName,
  };
  const version = opts.omit.has('version') ? undefined : versionOf(ws, opts.versionPolicy, notes);
  if (version) spec.version = version;
  if (input.parameters !== undefined && input.parameters.length > 0)
    spec.parameters = [...input.parameters].sort((a, b) => compare(a.name, b.name)).map((p) => ({ name: p.name, value: p.value }));
  if (opts.running) {
    const running = runningOf(ws, notes);
    if (running !== undefined) spec.running = running;
  }
  if (!opts.omit.has('autostart')) {
    const autostart = autostartOf(ws.autostartSchedule, notes);
    if (autostart) spec.autostart = autostart;
  }
  if (!opts.omit.has('ttl')) {
    const ttl = ttlOf(ws.ttlMs, notes);
    if (ttl !== undefined) spec.ttl = ttl;
  }
  if (!opts.omit.has('dormant')) spec.dormant = ws.dormant;
  if (input.favorite !== undefined) spec.favorite = input.favorite;
  if (!opts.omit.has('automaticUpdates')) spec.automaticUpdates = ws.automaticUpdates;
  // Explicit, whatever the operator's or CLI's --deletion-policy says: removing
  // a taken-over declaration must never delete someone's workspace.
  spec.deletionPolicy = 'Orphan';
  if (opts.observe) spec.managementPolicies = ['Observe'];

  const metadata: Workspace['metadata'] = { name: exportName(ws.ownerName, ws.name) };
  if (opts.namespace !== undefined) metadata.namespace = opts.namespace;
  const document: Workspace = { apiVersion: API_VERSION, kind: 'Workspace', metadata, spec };
  // The validator fills defaults in place; it checks a copy so the document stays as built.
  const checked = validateWorkspace(structuredClone(document));
  if (!checked.ok)
    return {
      ref,
      reason: `Coder holds it in a form no valid declaration has: ${checked.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    };
  return { ref, document, notes };
}

function versionOf(ws: ObservedWorkspace, policy: VersionPolicy, notes: string[]): WorkspaceVersionSpec | undefined {
  if (policy === 'none') return undefined;
  if (policy === 'auto' && !ws.outdated) return { policy: 'Active' };
  if (policy === 'auto' && (ws.automaticUpdates === 'always' || ws.requireActiveVersion === true)) {
    const why = ws.automaticUpdates === 'always' ? 'automatic updates are on' : 'its template requires the active version';
    notes.push(
      `version left out: the workspace is not on the active version, and ${why}, so Coder moves it at its next start ` +
        '(Pinned would fight that, Active would update it now)',
    );
    return undefined;
  }
  if (ws.automaticUpdates === 'always') {
    // A Pinned version with automaticUpdates: always is refused (workspace-rules.ts): Coder's autostart would undo it daily.
    notes.push('version left out: automatic updates are on, and a Pinned version next to automaticUpdates: always is refused');
    return undefined;
  }
  const name = ws.latestBuild.templateVersionName;
  if (name !== undefined && name !== '' && name.length <= VERSION_NAME_MAX) return { policy: 'Pinned', name };
  return { policy: 'Pinned', id: ws.latestBuild.templateVersionId };
}

/** Running or stopped, only when the latest build settled it and Coder's own schedule will not undo it. */
function runningOf(ws: ObservedWorkspace, notes: string[]): boolean | undefined {
  const b = ws.latestBuild;
  if (BUSY.has(b.status)) {
    notes.push(`running left out: build #${b.number} (${b.transition}) is ${b.status}`);
    return undefined;
  }
  if (b.status === 'failed' || b.status === 'canceled') {
    notes.push(`running left out: build #${b.number} (${b.transition}) ${b.status}`);
    return undefined;
  }
  if (b.transition === 'start') {
    if (ws.dormant) {
      notes.push('running left out: the workspace is dormant, and running: true conflicts with dormant: true');
      return undefined;
    }
    if (ws.ttlMs !== null) {
      notes.push(`running left out: the auto-stop TTL (${formatDuration(ws.ttlMs)}) stops it, and running: true needs ttl: 0s`);
      return undefined;
    }
    return true;
  }
  if (ws.autostartSchedule !== null) {
    notes.push('running left out: the autostart schedule starts it, and running: false needs autostart off');
    return undefined;
  }
  return false;
}

/** `CRON_TZ=<zone> <cron>` (or a bare cron, which Coder runs in UTC) as spec.autostart. */
function autostartOf(raw: string | null, notes: string[]): AutostartSpec | undefined {
  if (raw === null) return { enabled: false };
  const fields = raw.trim().split(/\s+/);
  let timezone = 'UTC';
  if (fields[0]?.startsWith('CRON_TZ=')) timezone = fields.shift()!.slice('CRON_TZ='.length) || 'UTC';
  const autostart = { schedule: fields.join(' '), timezone };
  try {
    const sent = toCoderSchedule(autostart);
    parseWeeklySchedule(sent);
    if (sameSchedule(sent, raw)) return autostart;
  } catch {
    // falls through to the note
  }
  notes.push(`autostart left out: Coder holds the schedule ${quote(raw)}, which a declaration cannot state`);
  return undefined;
}

/** Coder's ttl_ms as a Go duration; off (null) is 0s. */
function ttlOf(ms: number | null, notes: string[]): string | undefined {
  if (ms === null) return '0s';
  const text = formatDuration(ms);
  try {
    if (ttlFromSpec(text).ms === ms) return text;
  } catch {
    // falls through to the note
  }
  notes.push(`ttl left out: Coder holds ${ms} ms, which is not whole minutes between 1m and 720h`);
  return undefined;
}

/** A value from Coder, on one line, for a comment. */
function quote(text: string): string {
  return JSON.stringify(text.slice(0, 200));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
