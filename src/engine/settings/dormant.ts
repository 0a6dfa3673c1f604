// spec.dormant. Coder treats a dormant workspace as another RBAC object with
// fewer permissions, so waking comes before every other write and putting to
// sleep after them all.
import { toObserved } from '../observe.ts';
import type { Setting } from './setting.ts';

declare module '../types.ts' {
  interface SettingActions {
    dormant: { from: boolean; to: boolean };
  }
}

export const dormantSetting: Setting<'dormant'> = {
  field: 'dormant',
  coderFields: ['dormant'],
  reasonsNeedingAction: [],
  label: 'dormant',
  fromSpec: (spec) => (spec.dormant !== undefined ? { dormant: spec.dormant } : {}),
  step: (action) => (action.to ? 'sleep' : 'wake'),
  compare(desired, observed) {
    if (desired.dormant === undefined || desired.dormant === observed.dormant) return undefined;
    return { action: { kind: 'dormant', from: observed.dormant, to: desired.dormant } };
  },
  // Coder creates awake workspaces; dormancy follows.
  read: undefined,
  unlistedFields: [],
  calls: [],
  atCreate: () => ({}),
  createdWith: () => ({}),
  afterCreate: (desired) => (desired.dormant === true ? { kind: 'dormant', from: false, to: true } : undefined),
  async apply(action, ws, { api }) {
    const updated = await api.setDormant(ws.id, action.to);
    // 304: it already was; 200 carries the full workspace (what it cannot show,
    // the settings' unlistedFields, apply.ts keeps from before).
    return updated ? toObserved(updated, false) : { ...ws, dormant: action.to };
  },
  report: (ws) => ({ dormant: ws.dormant }),
  change: (action) => ({ from: String(action.from), to: String(action.to) }),
  explainRefusal: () => undefined,
};
