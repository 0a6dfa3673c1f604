// From a validated Workspace resource to what the engine compares against
// Coder. Validation (src/api/validate.ts) has already run, so conversions
// here cannot fail on user input.
import { createHash } from 'node:crypto';
import type { DeletionPolicy, Workspace } from '../api/schema.ts';
import { BUILD_SETTINGS, SETTING_KINDS, SETTINGS } from './settings/index.ts';
import type { DesiredWorkspace, SourceRef } from './types.ts';

interface DesiredDefaults {
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
  // Each managed setting as its table entry reads it (settings/).
  for (const kind of SETTING_KINDS) Object.assign(desired, SETTINGS[kind].fromSpec(spec));
  for (const setting of BUILD_SETTINGS) Object.assign(desired, setting.fromSpec(spec));
  if (boundId !== undefined) desired.boundId = boundId;
  return desired;
}

/**
 * A short digest of a spec, the same for the same spec in every front door
 * (the CLI has no generation): the key of the once-per-spec rules.
 */
function specDigest(spec: unknown): string {
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
