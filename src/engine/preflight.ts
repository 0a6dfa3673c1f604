// Checks a declaration against what Coder has before anything is written:
// the owner is a user, the template exists in the organization, a pinned
// version exists (and belongs to that template), and the parameters fit the
// version's rich parameters (names, types, options, required ones). Without
// it a typo in an owner or template plans as `+ create` and only the apply
// fails, per workspace, after the pull request was merged.
//
// Read-only, and cheap at scale: every lookup is cached for the life of one
// Preflight, so 10,000 declarations on two templates cost two template reads,
// two parameter reads and one read per distinct owner.
import type { CoderApi } from '../coder/api.ts';
import { CoderApiError } from '../coder/errors.ts';
import type { Organization, Template, TemplateVersion, TemplateVersionParameter, User } from '../coder/types.ts';
import type { DesiredWorkspace, SourceRef } from './types.ts';

export interface PreflightSubject {
  desired: DesiredWorkspace;
  /**
   * True when the plan creates the workspace: only then must every required
   * parameter be given (an existing workspace already has its values).
   * Undefined: not known, required parameters are not checked.
   */
  creating?: boolean;
}

/** Something Coder does not have, on one declaration's field. */
export interface PreflightProblem {
  key: string;
  source: SourceRef;
  /** e.g. `spec.owner`, `spec.parameters[1].value`. */
  field: string;
  message: string;
}

/** What a lookup found; `missing` on 404 (or Coder's 400 for a malformed user), `unknown` when it may not be read. */
type Found<T> = { found: T } | { missing: true } | { unknown: true };

/** Declarations checked at once; each waits on shared cached lookups, so this bounds requests in flight. */
const IN_FLIGHT = 8;

export class Preflight {
  readonly #api: CoderApi;
  readonly #users = new Map<string, Promise<Found<User>>>();
  readonly #orgs = new Map<string, Promise<Found<Organization>>>();
  readonly #templates = new Map<string, Promise<Found<Template>>>();
  readonly #versions = new Map<string, Promise<Found<TemplateVersion>>>();
  readonly #versionsByName = new Map<string, Promise<Found<TemplateVersion>>>();
  readonly #parameters = new Map<string, Promise<Found<TemplateVersionParameter[]>>>();
  #knownOwners: ReadonlySet<string> = new Set();

  constructor(api: CoderApi) {
    this.#api = api;
  }

  /**
   * Every problem of every subject, in the subjects' order. Throws only when
   * Coder cannot be asked at all. `knownOwners`: usernames (lowercase) and ids
   * already seen owning a workspace, so they need no lookup (a plan's list
   * of workspaces names most owners).
   */
  async check(subjects: PreflightSubject[], knownOwners: ReadonlySet<string> = new Set()): Promise<PreflightProblem[]> {
    this.#knownOwners = knownOwners;
    const problems: PreflightProblem[][] = new Array(subjects.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < subjects.length; i = next++) problems[i] = await this.#checkOne(subjects[i]!);
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(IN_FLIGHT, subjects.length)) }, worker));
    return problems.flat();
  }

  async #checkOne(subject: PreflightSubject): Promise<PreflightProblem[]> {
    const d = subject.desired;
    const problems: PreflightProblem[] = [];
    const problem = (field: string, message: string) => problems.push({ key: d.key, source: d.source, field, message });

    if (d.owner.toLowerCase() !== 'me' && !this.#knownOwners.has(d.owner.toLowerCase())) {
      const user = await this.#lookup(this.#users, d.owner.toLowerCase(), () => this.#api.getUser(d.owner));
      if ('missing' in user) problem('spec.owner', `owner ${quote(d.owner)} is not a user of this Coder deployment`);
    }

    const version = await this.#version(d, problem);
    if (!version) return problems;
    // An existing workspace whose version is not managed builds on the version it has, not the active one.
    if (version.active && subject.creating === false && d.version === undefined) return problems;
    const parameters = await this.#lookup(this.#parameters, version.id, () => this.#api.getTemplateVersionParameters(version.id));
    if ('found' in parameters) problems.push(...parameterProblems(d, version.label, parameters.found, subject.creating === true));
    return problems;
  }

  /**
   * The version a build of this declaration runs on, or undefined when it
   * cannot be known (a problem was reported, or Coder may not be asked).
   */
  async #version(
    d: DesiredWorkspace,
    problem: (field: string, message: string) => void,
  ): Promise<{ id: string; label: string; active?: boolean } | undefined> {
    let template: Template | undefined;
    if (d.template !== undefined) {
      const orgName = d.organization ?? 'default';
      const org = await this.#lookup(this.#orgs, orgName.toLowerCase(), () => this.#api.getOrganization(orgName));
      if ('missing' in org) {
        problem('spec.organization', `organization ${quote(orgName)} does not exist`);
        return undefined;
      }
      if (!('found' in org)) return undefined;
      const orgId = org.found.id;
      const found = await this.#lookup(this.#templates, `${orgId}/${d.template.toLowerCase()}`, () =>
        this.#api.getTemplateByName(orgId, d.template!),
      );
      if ('missing' in found) {
        const where = d.organization === undefined ? 'the default organization' : `organization ${quote(d.organization)}`;
        problem('spec.template', `template ${quote(d.template)} does not exist in ${where} (${quote(org.found.name)})`);
        return undefined;
      }
      if (!('found' in found)) return undefined;
      template = found.found;
    }
    const byId = async (id: string, field: string): Promise<TemplateVersion | undefined> => {
      const v = await this.#lookup(this.#versions, id.toLowerCase(), () => this.#api.getTemplateVersion(id));
      if ('missing' in v) problem(field, `template version ${id} does not exist`);
      return 'found' in v ? v.found : undefined;
    };
    const pinned = d.version?.policy === 'Pinned' ? d.version : undefined;
    if (pinned?.id !== undefined) {
      const v = await byId(pinned.id, 'spec.version.id');
      if (!v) return undefined;
      if (template && v.template_id !== undefined && v.template_id !== template.id) {
        problem('spec.version.id', `template version ${pinned.id} belongs to another template, not ${quote(template.name)}`);
        return undefined;
      }
      return { id: v.id, label: `version ${quote(v.name)}` };
    }
    let templateId = template?.id;
    let fromVersion: TemplateVersion | undefined;
    if (d.templateVersion !== undefined) {
      fromVersion = await byId(d.templateVersion, 'spec.templateVersion');
      if (!fromVersion) return undefined;
      templateId ??= fromVersion.template_id;
    }
    if (pinned?.name !== undefined && templateId !== undefined) {
      const name = pinned.name;
      const v = await this.#lookup(this.#versionsByName, `${templateId}/${name}`, () =>
        this.#api.getTemplateVersionByName(templateId, name),
      );
      if ('missing' in v) {
        const of = template ? `template ${quote(template.name)}` : 'the template of spec.templateVersion';
        problem('spec.version.name', `${of} has no version named ${quote(name)}`);
        return undefined;
      }
      return 'found' in v ? { id: v.found.id, label: `version ${quote(v.found.name)}` } : undefined;
    }
    // spec.version Active (or not managed): a create builds the template's active version.
    if (template && d.templateVersion === undefined)
      return { id: template.active_version_id, label: `the active version of ${quote(template.name)}`, active: true };
    if (fromVersion) return { id: fromVersion.id, label: `version ${quote(fromVersion.name)}` };
    return undefined;
  }

  /** Shares one lookup per key for the whole run; a failure other than "not there" is thrown (Coder is down, say). */
  #lookup<T>(map: Map<string, Promise<Found<T>>>, key: string, load: () => Promise<T>): Promise<Found<T>> {
    let hit = map.get(key);
    if (!hit) {
      hit = load().then(
        (found): Found<T> => ({ found }),
        (error: unknown): Found<T> => {
          if (error instanceof CoderApiError && (error.status === 404 || error.status === 400)) return { missing: true };
          // A token that may not read users or templates: the apply will tell; the plan cannot.
          if (error instanceof CoderApiError && error.status === 403) return { unknown: true };
          throw error;
        },
      );
      map.set(key, hit);
    }
    return hit;
  }
}

/** Declared values against the version's rich parameters. */
function parameterProblems(
  d: DesiredWorkspace,
  versionLabel: string,
  defined: TemplateVersionParameter[],
  creating: boolean,
): PreflightProblem[] {
  const problems: PreflightProblem[] = [];
  const byName = new Map(defined.map((p) => [p.name, p]));
  const problem = (field: string, message: string) => problems.push({ key: d.key, source: d.source, field, message });
  d.parameters.forEach((given, i) => {
    const p = byName.get(given.name);
    if (!p) {
      const known = defined.map((x) => quote(x.name)).join(', ');
      problem(
        `spec.parameters[${i}].name`,
        `${versionLabel} has no parameter ${quote(given.name)}${known ? ` (it has ${known})` : ' (it has none)'}`,
      );
      return;
    }
    const wrong = valueProblem(p, given.value);
    if (wrong) problem(`spec.parameters[${i}].value`, `parameter ${quote(p.name)} of ${versionLabel}: ${wrong}`);
  });
  if (creating) {
    const given = new Set(d.parameters.map((p) => p.name));
    for (const p of defined)
      if (p.required && !given.has(p.name))
        problem('spec.parameters', `${versionLabel} requires parameter ${quote(p.name)} (it has no default); add it to spec.parameters`);
  }
  return problems;
}

/** Why Coder would refuse this value for this parameter, or undefined. */
function valueProblem(p: TemplateVersionParameter, value: string): string | undefined {
  const options = (p.options ?? []).map((o) => o.value);
  switch (p.type) {
    case 'number':
      if (value.trim() === '' || !Number.isFinite(Number(value))) return `${quote(value)} is not a number`;
      break;
    case 'bool':
      if (value !== 'true' && value !== 'false') return `${quote(value)} is not true or false`;
      break;
    case 'list(string)': {
      let list: unknown;
      try {
        list = JSON.parse(value);
      } catch {
        list = undefined;
      }
      if (!Array.isArray(list) || !list.every((x) => typeof x === 'string'))
        return `${quote(value)} is not a JSON list of strings (e.g. '["a","b"]')`;
      if (options.length > 0) {
        const outside = list.filter((x) => !options.includes(x as string));
        if (outside.length > 0) return `${outside.map(quote).join(', ')} not among the options ${options.map(quote).join(', ')}`;
      }
      return undefined;
    }
  }
  if (options.length > 0 && !options.includes(value)) return `${quote(value)} is not one of the options ${options.map(quote).join(', ')}`;
  return undefined;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
