// spec.name: the Coder workspace name. Coder renames only where the
// deployment allows it (--allow-workspace-renames, shown as allow_renames).
import type { Setting } from './setting.ts';

declare module '../types.ts' {
  interface SettingActions {
    rename: { from: string; to: string };
  }
  interface SettingBlockedReasons {
    /** The deployment does not allow renames (--allow-workspace-renames). */
    RenamesDisabled: true;
  }
}

export const nameSetting: Setting<'rename'> = {
  field: 'name',
  coderFields: ['name'],
  reasonsNeedingAction: ['RenamesDisabled'],
  label: 'rename',
  // Always managed: spec.name defaults to metadata.name (desired.ts).
  fromSpec: () => ({}),
  step: () => 'rename',
  compare(desired, observed) {
    if (desired.name === observed.name) return undefined;
    if (observed.allowRenames) return { action: { kind: 'rename', from: observed.name, to: desired.name } };
    return {
      blocked: {
        field: 'name',
        reason: 'RenamesDisabled',
        message:
          `cannot rename "${observed.name}" to "${desired.name}": renames are disabled on this Coder deployment ` +
          '(start coderd with --allow-workspace-renames, or set spec.name back)',
      },
    };
  },
  // The create call carries the name.
  read: undefined,
  unlistedFields: [],
  calls: [],
  atCreate: () => ({}),
  createdWith: () => ({}),
  afterCreate: () => undefined,
  async apply(action, ws, { api }) {
    await api.renameWorkspace(ws.id, action.to);
    return { ...ws, name: action.to };
  },
  report: (ws) => ({ name: ws.name }),
  change: (action) => ({ from: action.from, to: action.to }),
  explainRefusal: () => undefined,
};
