// What one managed setting is, in one place: how the spec names it, how Coder
// shows it, how the two are compared, the call that closes the gap, where it
// goes in the plan, and how plans, events, failures and the status speak of
// it. diff, apply, failure, status, events and the plan renderer loop over the
// table in ./index.ts; a setting that leaves out a piece does not compile.
import type { Workspace, WorkspaceStatus } from '../../api/schema.ts';
import type { CoderApi } from '../../coder/api.ts';
import type { Action, Blocked, CreatePlan, DesiredWorkspace, ObservedWorkspace } from '../types.ts';

/** The actions that write one setting (not create, delete or a build). */
export type SettingKind = Exclude<Action['kind'], 'create' | 'delete' | 'build'>;

export type SettingAction<K extends SettingKind> = Extract<Action, { kind: K }>;

/** What a setting's call may use: the connection's client and one acting as the owner. */
export interface SettingCallDeps {
  api: CoderApi;
  /** A client acting as the workspace owner (favorites are owner-only). */
  ownerApi: (owner: { id: string; username: string }) => Promise<CoderApi>;
}

/** The outcome of comparing one setting: nothing, one action, or a difference nobody may write. */
export type Comparison<K extends SettingKind> = { action: SettingAction<K> } | { blocked: Blocked } | undefined;

/**
 * The place of an action in the plan. Named steps instead of numbers, so the
 * order reads as the reason for it; index.ts maps each to its position.
 */
export type PlanStep =
  /** A rename goes first: every later message names the workspace as it will be called. */
  | 'rename'
  /** Waking a dormant workspace: every other write then meets an ordinary (non-dormant) workspace. */
  | 'wake'
  /** The ordinary settings, in any order among themselves (the table's order). */
  | 'setting'
  /** Putting a workspace to sleep: after every other write and after the build. */
  | 'sleep';

export interface Setting<K extends SettingKind> {
  /** The spec field, without `spec.` (drift reports, status.lastDrift). */
  readonly field: string;
  /** The names Coder gives this field in a validation error (codersdk.ValidationError.field). */
  readonly coderFields: readonly string[];
  /** Condition reasons of this setting that a retry cannot fix (Stalled; Argo CD's Degraded). */
  readonly reasonsNeedingAction: readonly string[];
  /** The validated spec field as the engine compares it; {} when the spec leaves it out (not managed). */
  fromSpec(spec: Workspace['spec']): Partial<DesiredWorkspace>;
  /** Where its action runs in the plan. */
  step(action: SettingAction<K>): PlanStep;
  /** Compare spec and Coder. An unmanaged (absent) field compares to nothing. */
  compare(desired: DesiredWorkspace, observed: ObservedWorkspace): Comparison<K>;
  /** What the create call carries of this setting (Coder honours it there); {} for nothing. */
  atCreate(desired: DesiredWorkspace): Partial<CreatePlan>;
  /** After a create: the write the create call cannot carry (e.g. ttl 0s, a favorite), if any. */
  afterCreate(desired: DesiredWorkspace): SettingAction<K> | undefined;
  /** The one Coder call; returns the workspace as it stands after it succeeded. */
  apply(action: SettingAction<K>, ws: ObservedWorkspace, deps: SettingCallDeps): Promise<ObservedWorkspace>;
  /**
   * The status fields this setting reports from what Coder has. They are also
   * what drift is judged by: a field whose reported value moved since the
   * previous status changed in Coder, not in the spec.
   */
  report(ws: ObservedWorkspace): Partial<WorkspaceStatus>;
  /** The plan line after the verb: `<label> <key>: <from> -> <to>`. */
  readonly label: string;
  /** Before and after, as a person reads them (plan lines and Events). */
  change(action: SettingAction<K>): { from: string; to: string };
  /**
   * What Coder's refusal of this setting's call means, where the general
   * reading (failure.ts) would say less; undefined: the general reading.
   */
  explainRefusal(status: number, said: string): { reason: string; message: string } | undefined;
}
