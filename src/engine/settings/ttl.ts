// spec.ttl: auto-stop after a whole number of minutes; 0s turns it off,
// which Coder shows as an absent ttl_ms.
import { formatDuration, ttlFromSpec } from '../../api/duration.ts';
import type { Setting } from './setting.ts';

declare module '../types.ts' {
  interface SettingActions {
    ttl: {
      /** undefined: not known yet (the template default a create will pick). */
      fromMs: number | null | undefined;
      toMs: number | null;
    };
  }
}

/** fromMs undefined: not known yet (the template default a create picks). */
const shown = (ms: number | null | undefined): string => (ms === undefined ? 'template default' : ms === null ? 'off' : formatDuration(ms));

export const ttlSetting: Setting<'ttl'> = {
  field: 'ttl',
  coderFields: ['ttl_ms'],
  reasonsNeedingAction: [],
  label: 'ttl',
  fromSpec: (spec) => (spec.ttl !== undefined ? { ttlMs: ttlFromSpec(spec.ttl).ms } : {}),
  step: () => 'setting',
  compare(desired, observed) {
    if (desired.ttlMs === undefined) return undefined;
    const want = desired.ttlMs === 0 ? null : desired.ttlMs;
    if (want === observed.ttlMs) return undefined;
    return { action: { kind: 'ttl', fromMs: observed.ttlMs, toMs: want } };
  },
  // Only a non-zero TTL: at create, 0 means the template default.
  read: undefined,
  unlistedFields: [],
  calls: [],
  atCreate: (desired) => (desired.ttlMs !== undefined && desired.ttlMs > 0 ? { ttlMs: desired.ttlMs } : {}),
  // At create 0 means "the template default", so off is a write of its own after it.
  createdWith: () => ({}),
  afterCreate: (desired) => (desired.ttlMs === 0 ? { kind: 'ttl', fromMs: undefined, toMs: null } : undefined),
  async apply(action, ws, { api }) {
    await api.setTtl(ws.id, action.toMs);
    // Coder truncates to whole minutes; desired values already are.
    return { ...ws, ttlMs: action.toMs };
  },
  report: (ws) => ({ ttl: formatDuration(ws.ttlMs ?? 0) }),
  change: (action) => ({ from: shown(action.fromMs), to: shown(action.toMs) }),
  explainRefusal: () => undefined,
};
