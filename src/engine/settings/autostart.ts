// spec.autostart: Coder's schedule string (`CRON_TZ=<tz> <cron>`), or off.
import type { Workspace } from '../../api/schema.ts';
import { sameSchedule, toCoderSchedule } from '../../api/schedule.ts';
import type { DesiredAutostart } from '../types.ts';
import type { Setting } from './setting.ts';

declare module '../types.ts' {
  interface SettingActions {
    autostart: { from: string | null; to: string | null };
  }
}

function desiredAutostart(spec: NonNullable<Workspace['spec']['autostart']>): DesiredAutostart {
  if (spec.enabled === false || spec.schedule === undefined) return { enabled: false };
  const input: { schedule: string; timezone?: string } = { schedule: spec.schedule };
  if (spec.timezone !== undefined) input.timezone = spec.timezone;
  return { enabled: true, schedule: toCoderSchedule(input) };
}

const shown = (s: string | null): string => (s === null ? 'off' : `"${s}"`);

export const autostartSetting: Setting<'autostart'> = {
  field: 'autostart',
  coderFields: ['autostart_schedule', 'schedule'],
  reasonsNeedingAction: [],
  label: 'autostart',
  fromSpec: (spec) => (spec.autostart !== undefined ? { autostart: desiredAutostart(spec.autostart) } : {}),
  step: () => 'setting',
  compare(desired, observed) {
    if (desired.autostart === undefined) return undefined;
    const want = desired.autostart.enabled ? desired.autostart.schedule : null;
    if (sameSchedule(want, observed.autostartSchedule)) return undefined;
    return { action: { kind: 'autostart', from: observed.autostartSchedule, to: want } };
  },
  read: undefined,
  unlistedFields: [],
  calls: [],
  atCreate: (desired) => (desired.autostart?.enabled ? { autostartSchedule: desired.autostart.schedule } : {}),
  // A schedule that is on goes in the create call; off is Coder's default there.
  createdWith: () => ({}),
  afterCreate: () => undefined,
  async apply(action, ws, { api }) {
    await api.setAutostart(ws.id, action.to);
    return { ...ws, autostartSchedule: action.to };
  },
  report: (ws) => ({ autostart: ws.autostartSchedule ?? '' }),
  change: (action) => ({ from: shown(action.from), to: shown(action.to) }),
  explainRefusal: () => undefined,
};
