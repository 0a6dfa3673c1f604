// spec.preset: a preset of the template version, by name. Unlike the table's
// settings it has no call of its own: Coder takes it only with a build, as
// template_version_preset_id (the create's first build, and any later one).
// So it is carried by the create (resolve.ts) and compared by the lifecycle
// (lifecycle.ts): the id of the preset with that name in the version the next
// build runs, against the latest build's template_version_preset_id. A
// different one, or none (older Coder answers null for a build sent without
// one), is an update like a new version: the same builds, gates and memory.
// A name the version does not have is an error naming the field and the
// presets there are, before anything is written.
import type { CoderCall } from '../../coder/call.ts';
import type { BuildSetting } from './setting.ts';

/**
 * codersdk.Preset: its Go struct has no json tags, so the fields are
 * capitalised on the wire (v2.24.0 to v2.30.0, docs/compatibility.md).
 */
export interface TemplateVersionPreset {
  ID: string;
  Name: string;
  Default?: boolean;
  Parameters?: { Name: string; Value: string }[] | null;
}

const PRESETS_ROUTE = '/api/v2/templateversions/{templateversion}/presets';

/** GET /api/v2/templateversions/{templateversion}/presets: [] for a version without presets (coderd sends `null`). */
export const readPresets: CoderCall<typeof PRESETS_ROUTE, undefined, TemplateVersionPreset[]> = {
  method: 'GET',
  route: PRESETS_ROUTE,
  idempotent: true,
  encode: undefined,
  decode(body) {
    if (body === null) return [];
    if (!Array.isArray(body) || body.some((p) => typeof p?.ID !== 'string' || typeof p?.Name !== 'string'))
      throw new TypeError(`GET ${PRESETS_ROUTE} answered without a list of presets (ID, Name)`);
    return body as TemplateVersionPreset[];
  },
};

declare module '../types.ts' {
  interface DesiredSettings {
    /**
     * spec.preset: a preset of the template version, by name; carried on the
     * create and on every build the engine sends. A different preset (or
     * none) on the latest build is an update, like a new version.
     */
    preset?: string;
  }
  interface BuildCarries {
    /** template_version_preset_id to send: spec.preset's id in the version this build runs. */
    presetId?: string;
    /**
     * The preset move this build belongs to (by name; `none` for a build
     * without one), for plan lines, events and failures. A restart's stop
     * has it too, though it runs on the current preset: the start carries it.
     */
    presetChange?: { from: string; to: string };
  }
  interface SettingBlockedReasons {
    PresetNotFound: true;
  }
  interface SettingFailureReasons {
    PresetNotFound: true;
  }
}

class PresetNotFoundError extends Error {
  readonly field = 'spec.preset';
  readonly preset: string;
  readonly versionId: string;
  readonly available: string[];
  constructor(preset: string, versionId: string, available: string[]) {
    super(
      `spec.preset: template version ${versionId} has no preset "${preset}"; ` +
        (available.length > 0 ? `its presets: ${available.map((n) => `"${n}"`).join(', ')}` : 'it has no presets'),
    );
    this.name = 'PresetNotFoundError';
    this.preset = preset;
    this.versionId = versionId;
    this.available = available;
  }
}

/** The preset called `name` among a version's presets (Coder's names are exact: no case folding). */
export function pickPreset(presets: TemplateVersionPreset[], name: string, versionId: string): TemplateVersionPreset {
  const found = presets.find((p) => p.Name === name);
  if (!found)
    throw new PresetNotFoundError(
      name,
      versionId,
      presets.map((p) => p.Name),
    );
  return found;
}

/** One version's presets, as the lifecycle reads them (lifecycle-context.ts). */
export interface VersionPresets {
  versionId: string;
  presets: Array<{ id: string; name: string }>;
}

/** spec.preset in the version a build will run: its id, or the error naming the presets there are. */
type WantedPreset = { id: string; name: string } | { error: PresetNotFoundError };

/**
 * The preset the next build should carry. undefined: spec.preset is absent
 * (not managed: no build for it), or the presets of `versionId` were not read
 * in this pass (a build under way, a version not known yet): nothing is
 * decided on a guess.
 */
export function wantedPreset(name: string | undefined, known: VersionPresets | undefined, versionId: string): WantedPreset | undefined {
  if (name === undefined || known === undefined || known.versionId.toLowerCase() !== versionId.toLowerCase()) return undefined;
  const found = known.presets.find((p) => p.name === name);
  if (found) return { id: found.id.toLowerCase(), name: found.name };
  return {
    error: new PresetNotFoundError(
      name,
      versionId,
      known.presets.map((p) => p.name),
    ),
  };
}

/**
 * From the latest build's preset to the wanted one, by id; undefined when the
 * build has it already. A build without a preset id differs from any wanted
 * preset. `known` names the current preset when it is of the same version.
 */
export function presetMove(
  wanted: { id: string; name: string },
  build: { presetId?: string },
  known: VersionPresets | undefined,
): { from: string; to: string } | undefined {
  const current = build.presetId?.toLowerCase();
  if (current === wanted.id) return undefined;
  const from = current === undefined ? 'none' : (known?.presets.find((p) => p.id.toLowerCase() === current)?.name ?? current);
  return { from, to: wanted.name };
}

/** spec.preset's place in the table of settings carried by a build (./index.ts). */
export const presetSetting: BuildSetting = {
  field: 'preset',
  coderFields: ['template_version_preset_id'],
  reasonsNeedingAction: ['PresetNotFound'],
  calls: [readPresets],
  fromSpec: (spec) => (spec.preset !== undefined ? { preset: spec.preset } : {}),
  atCreate: (desired) => (desired.preset !== undefined ? { preset: desired.preset } : {}),
  // From the list at no extra call: the preset the latest build ran with.
  report: (ws) => (ws.latestBuild.presetId ? { presetID: ws.latestBuild.presetId } : {}),
  carried: (action) => (action.presetChange ? `preset: ${action.presetChange.from} -> ${action.presetChange.to}` : undefined),
  explainError(error, verb) {
    if (!(error instanceof PresetNotFoundError)) return undefined;
    return { reason: 'PresetNotFound', message: `could not ${verb}: ${error.message}` };
  },
};
