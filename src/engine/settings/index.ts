// The table of managed settings. Its type lists every settings action kind,
// so a new action kind without an entry here is a compile error, and so is an
// entry that leaves out a piece of its description (setting.ts).
import type { AnyCoderCall } from '../../coder/call.ts';
import type { Action, ActionKind } from '../types.ts';
import { automaticUpdatesSetting } from './automatic-updates.ts';
import { autostartSetting } from './autostart.ts';
import { dormantSetting } from './dormant.ts';
import { favoriteSetting } from './favorite.ts';
import { nameSetting } from './name.ts';
import { presetSetting } from './preset.ts';
import type { BuildSetting, PlanStep, Setting, SettingAction, SettingKind } from './setting.ts';
import { sharingSetting } from './sharing.ts';
import { ttlSetting } from './ttl.ts';

export type { Setting, SettingAction, SettingCallDeps, SettingKind, SettingRead, SettingReadDeps } from './setting.ts';

/** Every setting, in the order their actions run within one plan step. */
export const SETTINGS: { readonly [K in SettingKind]: Setting<K> } = {
  rename: nameSetting,
  dormant: dormantSetting,
  autostart: autostartSetting,
  ttl: ttlSetting,
  autoupdates: automaticUpdatesSetting,
  favorite: favoriteSetting,
  sharing: sharingSetting,
};

// Frozen: the order is the plan order within a step, so nobody may sort it in place.
export const SETTING_KINDS: readonly SettingKind[] = Object.freeze(Object.keys(SETTINGS) as SettingKind[]);

/** The entry of a settings action, typed to it (one cast here instead of one per caller). */
export function settingOf<K extends SettingKind>(action: SettingAction<K>): Setting<K> {
  return SETTINGS[(action as { kind: K }).kind] as Setting<K>;
}

export function isSettingAction(action: Action): action is SettingAction<SettingKind> {
  return action.kind !== 'create' && action.kind !== 'delete' && action.kind !== 'build';
}

/**
 * The position of each step of a plan. create first, delete last; the build
 * (spec.running, spec.version, spec.parameters) after the settings (a TTL of
 * 0s before a start, a wake-up before a start) and before putting the
 * workspace to sleep. A Record over a closed union: no step without a place.
 */
const POSITION: Record<PlanStep | 'create' | 'build' | 'delete', number> = {
  create: 0,
  rename: 1,
  wake: 2,
  setting: 3,
  build: 4,
  sleep: 5,
  delete: 6,
};

/** Sort key of an action: its step, then the table's order within the step. */
export function actionRank(action: Action): number {
  if (!isSettingAction(action)) return POSITION[action.kind] * 100;
  return POSITION[settingOf(action).step(action)] * 100 + SETTING_KINDS.indexOf(action.kind);
}

/** Field name in the spec for each action that corrects a field, for drift reports. */
export const FIELD_OF: Record<Exclude<ActionKind, 'create' | 'delete'>, string> = {
  ...(Object.fromEntries(SETTING_KINDS.map((k) => [k, SETTINGS[k].field])) as Record<SettingKind, string>),
  build: 'running',
};

/**
 * The settings Coder takes only with a build (setting.ts, BuildSetting): the
 * lifecycle decides what a build carries of them; spec, create, status,
 * failures, plan lines and events loop over this list like over SETTINGS.
 */
export const BUILD_SETTINGS: readonly BuildSetting[] = [presetSetting];

/** Every Coder route the settings declare (CoderCall data), for the contract test and the docs. */
export const SETTING_CALLS: readonly AnyCoderCall[] = [
  ...SETTING_KINDS.flatMap((k) => SETTINGS[k].calls),
  ...BUILD_SETTINGS.flatMap((s) => s.calls),
];

/** Condition reasons of the settings that a retry cannot fix. */
export const SETTING_REASONS_NEEDING_ACTION: readonly string[] = [
  ...SETTING_KINDS.flatMap((k) => SETTINGS[k].reasonsNeedingAction),
  ...BUILD_SETTINGS.flatMap((s) => s.reasonsNeedingAction),
];

/** What a build changes of the settings it carries, as plan lines and events say it (`preset: a -> b`). */
export function describeBuildCarries(action: Extract<Action, { kind: 'build' }>): string[] {
  return BUILD_SETTINGS.flatMap((s) => s.carried(action) ?? []);
}

/** Before and after of a settings action, as plan lines and Events say it. */
export function describeSettingChange(action: SettingAction<SettingKind>): { from: string; to: string } {
  return settingOf(action).change(action);
}
