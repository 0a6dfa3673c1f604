// The Workspace rules JSON Schema cannot say: the cross-field CEL rules of
// schema.ts as they apply to a new object (files have no old object), plus
// what only Coder would refuse later (schedule syntax, TTL range, the
// effective name). They read the document defensively: it may have failed
// the schema, and every problem is still worth reporting.
import { ttlFromSpec } from './duration.ts';
import type { FieldError } from './field-error.ts';
import { canonicalTimeZone, parseWeeklySchedule, ScheduleError, toCoderSchedule } from './schedule.ts';
import { CEL_MESSAGES, DURATION_PATTERN, ZERO_DURATION_PATTERN } from './schema.ts';
import { workspaceNameError } from './workspace-name.ts';
import { coderNameErrors } from './coder-names.ts';

type Obj = Record<string, unknown>;

export function workspaceRuleErrors(doc: unknown): FieldError[] {
  const spec = field(doc, 'spec');
  if (spec === undefined) return [];
  return [
    ...templateErrors(spec),
    ...autostartErrors(field(spec, 'autostart')),
    ...ttlErrors(spec['ttl']),
    ...nameErrors(spec['name'], field(doc, 'metadata')?.['name']),
    ...parameterErrors(spec['parameters']),
    ...sharingErrors(field(spec, 'sharing')),
    ...coderNameErrors(spec),
    ...runStateErrors(spec),
    ...versionErrors(field(spec, 'version')),
    ...pinnedUpdateErrors(spec),
  ];
}

const ZERO = new RegExp(ZERO_DURATION_PATTERN, 'u');

/** The CEL rules on spec.running: wishes Coder's own schedule would undo, so they are refused up front. */
function runStateErrors(spec: Obj): FieldError[] {
  const running = spec['running'];
  if (typeof running !== 'boolean') return [];
  const errors: FieldError[] = [];
  const autostart = field(spec, 'autostart');
  if (!running && autostart !== undefined && autostart['enabled'] !== false)
    errors.push({ path: 'spec.running', message: CEL_MESSAGES.stoppedWithAutostart });
  if (running && spec['dormant'] === true) errors.push({ path: 'spec.running', message: CEL_MESSAGES.runningWhileDormant });
  const ttl = spec['ttl'];
  if (running && typeof ttl === 'string' && !ZERO.test(ttl)) errors.push({ path: 'spec.running', message: CEL_MESSAGES.runningWithTtl });
  return errors;
}

function versionErrors(version: Obj | undefined): FieldError[] {
  if (version === undefined) return [];
  const has = (k: string) => version[k] !== undefined;
  if (version['policy'] === 'Active' && (has('name') || has('id')))
    return [{ path: 'spec.version', message: CEL_MESSAGES.versionActiveTakesNothing }];
  if (version['policy'] === 'Pinned' && has('name') === has('id'))
    return [{ path: 'spec.version', message: CEL_MESSAGES.versionPinnedNeedsOne }];
  return [];
}

/**
 * The CEL rule on a Pinned version with automaticUpdates: always: Coder's
 * autostart moves such a workspace to the active version, the operator moves
 * it back, every day.
 */
function pinnedUpdateErrors(spec: Obj): FieldError[] {
  const pinned = field(spec, 'version')?.['policy'] === 'Pinned';
  return pinned && spec['automaticUpdates'] === 'always'
    ? [{ path: 'spec.automaticUpdates', message: CEL_MESSAGES.pinnedWithAutomaticUpdates }]
    : [];
}

function templateErrors(spec: Obj): FieldError[] {
  const has = (k: string) => spec[k] !== undefined;
  return has('template') === has('templateVersion') ? [{ path: 'spec', message: CEL_MESSAGES.exactlyOneTemplate }] : [];
}

function autostartErrors(autostart: Obj | undefined): FieldError[] {
  if (autostart === undefined) return [];
  const { enabled, schedule, timezone } = autostart;
  if (enabled === false) {
    const extra = schedule !== undefined || timezone !== undefined;
    return extra ? [{ path: 'spec.autostart', message: CEL_MESSAGES.autostartOffTakesNothing }] : [];
  }
  if (schedule === undefined) return [{ path: 'spec.autostart', message: CEL_MESSAGES.autostartNeedsSchedule }];
  const errors: FieldError[] = [];
  let zoneOk = true;
  if (typeof timezone === 'string') {
    try {
      canonicalTimeZone(timezone);
    } catch (err) {
      zoneOk = false;
      errors.push({ path: 'spec.autostart.timezone', message: messageOf(err) });
    }
  }
  if (typeof schedule === 'string') {
    try {
      // The fields are still worth checking under a bad zone: check them in UTC.
      const input = zoneOk && typeof timezone === 'string' ? { schedule, timezone } : { schedule };
      parseWeeklySchedule(toCoderSchedule(input));
    } catch (err) {
      const path = err instanceof ScheduleError && err.part === 'timezone' ? 'timezone' : 'schedule';
      errors.push({ path: `spec.autostart.${path}`, message: messageOf(err) });
    }
  }
  return errors;
}

const DURATION = new RegExp(DURATION_PATTERN, 'u');

function ttlErrors(ttl: unknown): FieldError[] {
  // A string that is no duration at all already has the schema's error.
  if (typeof ttl !== 'string' || !DURATION.test(ttl)) return [];
  try {
    ttlFromSpec(ttl);
    return [];
  } catch (err) {
    return [{ path: 'spec.ttl', message: messageOf(err) }];
  }
}

function nameErrors(specName: unknown, metadataName: unknown): FieldError[] {
  if (typeof specName === 'string') {
    const why = workspaceNameError(specName);
    return why === undefined ? [] : [{ path: 'spec.name', message: `not a valid Coder workspace name: ${why}` }];
  }
  if (specName !== undefined || typeof metadataName !== 'string') return [];
  // metadata.name is the default, and a fine Kubernetes name can still be a
  // bad Coder name (dots, over 32 characters): say which field fixes it.
  const why = workspaceNameError(metadataName);
  if (why === undefined) return [];
  return [
    {
      path: 'spec.name',
      message: `metadata.name ${JSON.stringify(metadataName)} is not a valid Coder workspace name (${why}); set spec.name`,
    },
  ];
}

function parameterErrors(parameters: unknown): FieldError[] {
  if (!Array.isArray(parameters)) return [];
  const first = new Map<string, number>();
  const errors: FieldError[] = [];
  parameters.forEach((p: unknown, i) => {
    const name = field({ p }, 'p')?.['name'];
    if (typeof name !== 'string') return;
    const seen = first.get(name);
    if (seen === undefined) first.set(name, i);
    else errors.push({ path: `spec.parameters[${i}].name`, message: `duplicate parameter "${name}" (first at spec.parameters[${seen}])` });
  });
  return errors;
}

/** One role per user or group: a name twice in spec.sharing.users or .groups would leave which role wins to chance. */
function sharingErrors(sharing: Obj | undefined): FieldError[] {
  if (sharing === undefined) return [];
  const errors: FieldError[] = [];
  for (const list of ['users', 'groups'] as const) {
    const entries = sharing[list];
    if (!Array.isArray(entries)) continue;
    const first = new Map<string, number>();
    entries.forEach((e: unknown, i) => {
      const name = field({ e }, 'e')?.['name'];
      if (typeof name !== 'string') return;
      // Coder compares user and group names ignoring case.
      const seen = first.get(name.toLowerCase());
      if (seen === undefined) first.set(name.toLowerCase(), i);
      else
        errors.push({
          path: `spec.sharing.${list}[${i}].name`,
          message: `"${name}" is listed twice (first at spec.sharing.${list}[${seen}])`,
        });
    });
  }
  return errors;
}

function field(from: unknown, key: string): Obj | undefined {
  if (from === null || typeof from !== 'object' || Array.isArray(from)) return undefined;
  const value = (from as Obj)[key];
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
