// What one managed setting is, in one place: how the spec names it, how Coder
// shows it, how the two are compared, the call that closes the gap, where it
// goes in the plan, and how plans, events, failures and the status speak of
// it. diff, apply, failure, status, events and the plan renderer loop over the
// table in ./index.ts; a setting that leaves out a piece does not compile.
//
// Its types live with it too: an entry's file augments ../types.ts
// (SettingActions, DesiredSettings, ObservedSettings, SettingBlockedReasons,
// SettingFailureReasons) with `declare module`, and Action, DesiredWorkspace,
// ObservedWorkspace, Blocked and FailureReason are built from those. Its
// Coder routes are CoderCall data (src/coder/call.ts) the entry declares and
// CoderApi.send executes, and a read the list cannot give is its `read`.
import type { Workspace, WorkspaceStatus } from '../../api/schema.ts';
import type { CoderApi } from '../../coder/api.ts';
import type { AnyCoderCall } from '../../coder/call.ts';
import type {
  Action,
  Blocked,
  CreatePlan,
  DesiredWorkspace,
  ObservedSettings,
  ObservedWorkspace,
  SettingFailureReasons,
} from '../types.ts';

/** The actions that write one setting (not create, delete or a build). */
export type SettingKind = Exclude<Action['kind'], 'create' | 'delete' | 'build'>;

export type SettingAction<K extends SettingKind> = Extract<Action, { kind: K }>;

/** What a setting's call may use: the connection's client and one acting as the owner. */
export interface SettingCallDeps {
  api: CoderApi;
  /** A client acting as the workspace owner (favorites are owner-only). */
  ownerApi: (owner: { id: string; username: string }) => Promise<CoderApi>;
}

/** What a setting's own read may use: the connection's client. */
export interface SettingReadDeps {
  api: CoderApi;
}

/**
 * A read of Coder that a setting needs besides the workspace list (the list
 * does not show it on every version), made only for a workspace whose
 * declaration manages the setting. The engine runs it a few at a time in a
 * batch and once in a single workspace's observe.
 */
export interface SettingRead {
  /** Whether this declaration needs the read: it manages the setting. */
  wanted(desired: DesiredWorkspace): boolean;
  /** The read itself (it may throw); what it found, as this setting's part of the observation. */
  read(ws: ObservedWorkspace, deps: SettingReadDeps): Promise<Partial<ObservedSettings>>;
  /**
   * What a read that threw is observed as. The engine never lets a read throw
   * past it, so a setting that cannot be read never takes another with it;
   * the entry's compare() tells a server without the feature (a reason a
   * person can act on) from an answer that did not come (read again).
   */
  unreadable(error: unknown): Partial<ObservedSettings>;
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
  readonly reasonsNeedingAction: readonly (Blocked['reason'] | keyof SettingFailureReasons)[];
  /** Its read besides the workspace list; undefined: the list shows all it compares. */
  readonly read: SettingRead | undefined;
  /**
   * Its fields of ObservedWorkspace that Coder's workspace object does not
   * carry (its own read, or the owner's list, found them). A call answered
   * with the whole workspace (PUT .../dormant) keeps them from before.
   */
  readonly unlistedFields: readonly (keyof ObservedWorkspace)[];
  /**
   * The Coder endpoints its read and its call use that no CoderApi method
   * names (declared as CoderCall data in the entry; the contract test checks
   * each against swagger.json).
   */
  readonly calls: readonly AnyCoderCall[];
  /** The validated spec field as the engine compares it; {} when the spec leaves it out (not managed). */
  fromSpec(spec: Workspace['spec']): Partial<DesiredWorkspace>;
  /** Where its action runs in the plan. */
  step(action: SettingAction<K>): PlanStep;
  /** Compare spec and Coder. An unmanaged (absent) field compares to nothing. */
  compare(desired: DesiredWorkspace, observed: ObservedWorkspace): Comparison<K>;
  /** What the create call carries of this setting (Coder honours it there); {} for nothing. */
  atCreate(desired: DesiredWorkspace): Partial<CreatePlan>;
  /**
   * What a workspace this engine just created has of this setting that the
   * create's answer does not show (a new workspace is nobody's favorite,
   * shared with nobody); {} for nothing. Only for a declaration managing it,
   * so the next status does not change for nothing.
   */
  createdWith(desired: DesiredWorkspace): Partial<ObservedWorkspace>;
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
  explainRefusal(status: number, said: string): { reason: keyof SettingFailureReasons; message: string } | undefined;
}

type BuildAction = Extract<Action, { kind: 'build' }>;

/**
 * A setting Coder takes only with a build, never by a call of its own (a
 * template version preset): the lifecycle (lifecycle.ts) decides what the
 * next build carries of it and whether the setting alone needs one, and the
 * build carries it (BuildCarries in ../types.ts). The rest of its
 * description is this, looped over like the table's.
 */
export interface BuildSetting {
  /** The spec field, without `spec.`. */
  readonly field: string;
  /** The names Coder gives this field in a validation error. */
  readonly coderFields: readonly string[];
  /** Condition reasons of this setting that a retry cannot fix. */
  readonly reasonsNeedingAction: readonly (Blocked['reason'] | keyof SettingFailureReasons)[];
  /** The Coder endpoints its reads use (CoderCall data; the contract test checks each against swagger.json). */
  readonly calls: readonly AnyCoderCall[];
  /** The validated spec field; {} when the spec leaves it out (not managed). */
  fromSpec(spec: Workspace['spec']): Partial<DesiredWorkspace>;
  /** What the create plan carries of it (the resolver puts it in the create request). */
  atCreate(desired: DesiredWorkspace): Partial<CreatePlan>;
  /** The status fields it reports from what Coder has. */
  report(ws: ObservedWorkspace): Partial<WorkspaceStatus>;
  /** What a build changes of it, as plan lines, events and failures say it (`preset: a -> b`); undefined: nothing. */
  carried(action: BuildAction): string | undefined;
  /** An error its own lookups throw, as a failure reason and message; undefined: not one of its. */
  explainError(error: unknown, verb: string): { reason: keyof SettingFailureReasons; message: string } | undefined;
}
