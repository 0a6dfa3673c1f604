// Turns an error from an action into a condition reason and a message a
// person can act on. Coder's own words are kept; its validation fields are
// translated back into the spec field the user wrote.
import { CoderApiError, CoderNetworkError, isUnknownOwnerAnswer, isUnknownTemplateAnswer, OwnerTokenError } from '../coder/errors.ts';
import { BUILD_SETTINGS, describeBuildCarries, isSettingAction, SETTING_KINDS, SETTINGS, settingOf } from './settings/index.ts';
import type { Action, SettingFailureReasons } from './types.ts';

export type FailureReason =
  | 'Forbidden'
  | 'CoderError'
  | 'CoderRejected'
  | 'RateLimited'
  | 'ConnectionNotReady'
  | 'NotFound'
  /** A setting's own reading of a refusal (its entry's explainRefusal). */
  | keyof SettingFailureReasons;

export interface Failure {
  reason: FailureReason;
  message: string;
  /** The spec field the failure concerns, when it can be told. */
  field?: string;
}

/** Coder's validation field names, translated back to the spec: the identity fields, then each setting's. */
const SPEC_FIELD_OF_CODER_FIELD: Record<string, string> = {
  template_id: 'spec.template',
  template_version_id: 'spec.templateVersion',
  ...Object.fromEntries(SETTING_KINDS.flatMap((k) => SETTINGS[k].coderFields.map((f) => [f, `spec.${SETTINGS[k].field}`]))),
  ...Object.fromEntries(BUILD_SETTINGS.flatMap((s) => s.coderFields.map((f) => [f, `spec.${s.field}`]))),
};

function specFieldOfAction(action: Action): string {
  if (isSettingAction(action)) return `spec.${settingOf(action).field}`;
  return action.kind === 'create' ? 'spec' : action.kind === 'delete' ? 'spec.deletionPolicy' : 'spec.running';
}

export function describeFailure(action: Action, error: unknown): Failure {
  const verb =
    action.kind === 'create'
      ? 'create the workspace'
      : action.kind === 'build'
        ? `start a ${action.transition} build (${buildFields(action)})`
        : `update ${specFieldOfAction(action)}`;
  if (error instanceof OwnerTokenError)
    return {
      reason: 'FavoriteNeedsOwnerToken',
      field: 'spec.favorite',
      message:
        `${(error as Error).message}. Coder lets only the owner set a favorite; give the connection a site Owner ` +
        'token so the operator can mint a short-lived token for the owner, or remove spec.favorite',
    };
  for (const setting of BUILD_SETTINGS) {
    const own = setting.explainError(error, verb);
    if (own) return { ...own, field: `spec.${setting.field}` };
  }
  if (error instanceof CoderNetworkError) return { reason: 'ConnectionNotReady', message: `could not ${verb}: ${error.message}` };
  if (!(error instanceof CoderApiError))
    return { reason: 'CoderError', message: `could not ${verb}: ${error instanceof Error ? error.message : String(error)}` };

  const said = error.describe();
  if (action.kind === 'create' && isUnknownOwnerAnswer(error))
    return {
      reason: 'NotFound',
      field: 'spec.owner',
      message:
        `could not create the workspace: Coder knows no user "${action.create.owner}" (spec.owner) who may own it ` +
        `(${error.status}: ${said}); check the username or UUID, and that the user belongs to the template's organization`,
    };
  if (action.kind === 'create' && isUnknownTemplateAnswer(error))
    return {
      reason: 'NotFound',
      field: 'spec.template',
      message:
        `could not create the workspace: Coder has no template "${action.create.template}" (spec.template) in organization ` +
        `"${action.create.organization ?? 'default'}" that the token may read (${error.status}: ${said})`,
    };
  const field = fieldOf(action, error);
  const explained = isSettingAction(action) ? settingOf(action).explainRefusal(error.status, said) : undefined;
  if (explained) return { reason: explained.reason, field, message: explained.message };
  switch (error.status) {
    case 401:
      return { reason: 'ConnectionNotReady', message: `Coder refused the token (401): ${said}; check the token` };
    case 403:
      return { reason: 'Forbidden', field, message: `Coder refused to ${verb} (403): ${said}` };
    case 404:
      return {
        reason: 'NotFound',
        field,
        message: `could not ${verb}: ${said} (check owner, organization and template names and the token's access)`,
      };
    case 429:
      return { reason: 'RateLimited', message: `Coder rate-limited the request to ${verb} (429); it is retried on the next run: ${said}` };
    default:
      if (error.status >= 500) return { reason: 'CoderError', field, message: `Coder failed to ${verb} (${error.status}): ${said}` };
      return { reason: 'CoderRejected', field, message: `Coder rejected ${field}: ${said}` };
  }
}

function fieldOf(action: Action, error: CoderApiError): string {
  for (const v of error.validations) {
    const mapped = SPEC_FIELD_OF_CODER_FIELD[v.field];
    if (mapped) return mapped;
    // Dynamic parameter errors name the parameter itself.
    const sent = action.kind === 'create' ? action.create.parameters : action.kind === 'build' ? (action.parameters ?? []) : [];
    if (sent.some((p) => p.name === v.field)) return `spec.parameters[name=${v.field}]`;
  }
  if (action.kind === 'build') {
    if (action.purpose === 'run') return 'spec.running';
    if (action.parameters?.length) return 'spec.parameters';
    // A build that changes only what it carries (a preset on the same version) is for that field.
    const carried = action.versionId ? undefined : BUILD_SETTINGS.find((s) => s.carried(action) !== undefined);
    return carried ? `spec.${carried.field}` : 'spec.version';
  }
  return specFieldOfAction(action);
}

function buildFields(action: Extract<Action, { kind: 'build' }>): string {
  const fields = [action.purpose === 'run' ? 'spec.running' : 'an update'];
  if (action.versionId) fields.push(`template version ${action.versionId}`);
  if (action.parameters?.length) fields.push(`parameters ${action.parameters.map((p) => p.name).join(', ')}`);
  fields.push(...describeBuildCarries(action));
  return fields.join(', ');
}
