// From a validated Workspace resource to what the engine compares against
// Coder. Validation (src/api/validate.ts) has already run, so conversions
// here cannot fail on user input.
import { createHash } from 'node:crypto';
import type { DeletionPolicy, Workspace } from '../api/schema.ts';
import { ttlFromSpec } from '../api/duration.ts';
import { toCoderSchedule } from '../api/schedule.ts';
import type { DesiredAutostart, DesiredWorkspace, SourceRef } from './types.ts';

export interface DesiredDefaults {
  /** The operator's or CLI's --deletion-policy; Orphan unless told otherwise. */
  deletionPolicy: DeletionPolicy;
}

export function workspaceKey(ws: Workspace): string {
  return `${ws.metadata.namespace ?? 'default'}/${ws.metadata.name}`;
}

export function toDesired(ws: Workspace, source: SourceRef, defaults: DesiredDefaults, boundId?: string): DesiredWorkspace {
  const spec = ws.spec;
  const desired: DesiredWorkspace = {
    key: workspaceKey(ws),
    source,
    owner: spec.owner,
    name: spec.name ?? ws.metadata.name,
    parameters: (spec.parameters ?? []).map((p) => ({ name: p.name, value: p.value })),
    deletionPolicy: spec.deletionPolicy ?? defaults.deletionPolicy,
    specDigest: specDigest(ws.spec),
  };
  if (spec.running !== undefined) desired.running = spec.running;
  if (spec.version !== undefined) desired.version = { ...spec.version };
  if (spec.parameters !== undefined) desired.parametersManaged = true;
  if (spec.managementPolicies?.includes('Observe') && !spec.managementPolicies.includes('*')) desired.observeOnly = true;
  if (spec.organization !== undefined) desired.organization = spec.organization;
  if (spec.template !== undefined) desired.template = spec.template;
  if (spec.templateVersion !== undefined) desired.templateVersion = spec.templateVersion;
  if (spec.autostart !== undefined) desired.autostart = desiredAutostart(spec.autostart);
  if (spec.ttl !== undefined) desired.ttlMs = ttlFromSpec(spec.ttl).ms;
  if (spec.dormant !== undefined) desired.dormant = spec.dormant;
  if (spec.favorite !== undefined) desired.favorite = spec.favorite;
  if (spec.automaticUpdates !== undefined) desired.automaticUpdates = spec.automaticUpdates;
  if (spec.preset !== undefined) desired.preset = spec.preset;
  // Absent lists inside spec.sharing share with nobody: the whole ACL is managed.
  if (spec.sharing !== undefined) desired.sharing = { users: [...(spec.sharing.users ?? [])], groups: [...(spec.sharing.groups ?? [])] };
  if (boundId !== undefined) desired.boundId = boundId;
  return desired;
}

function desiredAutostart(spec: NonNullable<Workspace['spec']['autostart']>): DesiredAutostart {
  if (spec.enabled === false || spec.schedule === undefined) return { enabled: false };
  const input: { schedule: string; timezone?: string } = { schedule: spec.schedule };
  if (spec.timezone !== undefined) input.timezone = spec.timezone;
  return { enabled: true, schedule: toCoderSchedule(input) };
}

/**
 * A short digest of a spec, the same for the same spec in every front door
 * (the CLI has no generation): the key of the once-per-spec rules.
 */
export function specDigest(spec: unknown): string {
  return createHash('sha256').update(stableJson(spec)).digest('hex').slice(0, 16);
}

/** The digest of spec.parameters alone (status.parametersChecked.spec). */
export function parametersDigest(parameters: { name: string; value: string }[]): string {
  return specDigest([...parameters].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
