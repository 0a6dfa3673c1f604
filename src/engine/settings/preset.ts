// spec.preset: a preset of the template version, by name. Unlike the table's
// settings it has no call of its own: Coder takes it only with a build (the
// create's first one, and an update build, since every version has presets of
// its own), as template_version_preset_id. So it is carried by the create
// (resolve.ts) and by a build that moves to another version (apply.ts),
// and a name the version does not have is an error naming the field and the
// presets there are, before anything is written.
import type { TemplateVersionPreset } from '../../coder/types.ts';

export class PresetNotFoundError extends Error {
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
