// spec.automaticUpdates: whether Coder's starts move the workspace to the active version.
import type { Setting } from './setting.ts';
import type { AutomaticUpdates } from '../../coder/types.ts';

declare module '../types.ts' {
  interface SettingActions {
    autoupdates: { from: AutomaticUpdates; to: AutomaticUpdates };
  }
}

export const automaticUpdatesSetting: Setting<'autoupdates'> = {
  field: 'automaticUpdates',
  coderFields: ['automatic_updates'],
  reasonsNeedingAction: [],
  label: 'automatic updates',
  fromSpec: (spec) => (spec.automaticUpdates !== undefined ? { automaticUpdates: spec.automaticUpdates } : {}),
  step: () => 'setting',
  compare(desired, observed) {
    if (desired.automaticUpdates === undefined || desired.automaticUpdates === observed.automaticUpdates) return undefined;
    return { action: { kind: 'autoupdates', from: observed.automaticUpdates, to: desired.automaticUpdates } };
  },
  read: undefined,
  unlistedFields: [],
  calls: [],
  atCreate: (desired) => (desired.automaticUpdates !== undefined ? { automaticUpdates: desired.automaticUpdates } : {}),
  // The create call carries it.
  createdWith: () => ({}),
  afterCreate: () => undefined,
  async apply(action, ws, { api }) {
    await api.setAutomaticUpdates(ws.id, action.to);
    return { ...ws, automaticUpdates: action.to };
  },
  report: (ws) => ({ automaticUpdates: ws.automaticUpdates }),
  change: (action) => ({ from: action.from, to: action.to }),
  explainRefusal: () => undefined,
};
