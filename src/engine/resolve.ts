// Turns a CreatePlan (names, as a person writes them) into Coder's
// CreateWorkspaceRequest (ids). Lookups are cached for the life of the
// resolver, so a thousand creates on one template cost one template read.
import type { CoderApi } from '../coder/api.ts';
import type { CreateWorkspaceRequest, Organization, Template } from '../coder/types.ts';
import { pickPreset, readPresets, type TemplateVersionPreset } from './settings/preset.ts';
import type { CreatePlan } from './types.ts';

export class CreateResolver {
  private readonly orgs = new Map<string, Promise<Organization>>();
  private readonly templates = new Map<string, Promise<Template>>();
  private readonly presets = new Map<string, Promise<TemplateVersionPreset[]>>();
  private readonly api: CoderApi;

  constructor(api: CoderApi) {
    this.api = api;
  }

  async createRequest(plan: CreatePlan): Promise<CreateWorkspaceRequest> {
    const req: CreateWorkspaceRequest = { name: plan.name };
    if (plan.templateVersion !== undefined) {
      // Coder takes the template (and so the organization) from the version.
      req.template_version_id = plan.templateVersion;
    } else if (plan.template !== undefined && !(plan.version?.policy === 'Pinned' && plan.version.id !== undefined)) {
      // (A pinned version id names its template itself: no lookup.)
      const template = await this.template(plan.organization ?? 'default', plan.template);
      req.template_id = template.id;
    }
    // spec.version wins at create: the workspace starts on the version it should be on, and no update follows.
    if (plan.version !== undefined) await this.#onWantedVersion(plan, req);
    if (plan.parameters.length > 0) req.rich_parameter_values = plan.parameters;
    if (plan.autostartSchedule !== undefined) req.autostart_schedule = plan.autostartSchedule;
    if (plan.ttlMs !== undefined) req.ttl_ms = plan.ttlMs;
    if (plan.automaticUpdates !== undefined) req.automatic_updates = plan.automaticUpdates;
    if (plan.preset !== undefined) req.template_version_preset_id = (await this.preset(await this.#versionOf(plan, req), plan.preset)).ID;
    return req;
  }

  /** The preset `name` of a template version; throws PresetNotFoundError naming the presets it has. */
  async preset(versionId: string, name: string): Promise<TemplateVersionPreset> {
    const presets = await cached(this.presets, versionId.toLowerCase(), () => this.api.send(readPresets, { templateversion: versionId }));
    return pickPreset(presets, name, versionId);
  }

  /** The version a create request builds: the one it names, else its template's active version. */
  async #versionOf(plan: CreatePlan, req: CreateWorkspaceRequest): Promise<string> {
    if (req.template_version_id !== undefined) return req.template_version_id;
    return (await this.template(plan.organization ?? 'default', plan.template!)).active_version_id;
  }

  async #onWantedVersion(plan: CreatePlan, req: CreateWorkspaceRequest): Promise<void> {
    const v = plan.version!;
    if (v.policy === 'Pinned' && v.id !== undefined) {
      delete req.template_id;
      req.template_version_id = v.id;
      return;
    }
    const templateId = req.template_id ?? (await this.api.getTemplateVersion(req.template_version_id!)).template_id;
    if (templateId === undefined) return;
    delete req.template_version_id;
    if (v.policy === 'Active') {
      req.template_id = templateId;
      return;
    }
    delete req.template_id;
    req.template_version_id = (await this.api.getTemplateVersionByName(templateId, v.name!)).id;
  }

  organization(org: string): Promise<Organization> {
    return cached(this.orgs, org.toLowerCase(), () => this.api.getOrganization(org));
  }

  async template(org: string, name: string): Promise<Template> {
    const organization = await this.organization(org);
    return cached(this.templates, `${organization.id}/${name.toLowerCase()}`, () => this.api.getTemplateByName(organization.id, name));
  }
}

/** Shares one in-flight lookup; a failed lookup is forgotten so it can be tried again. */
function cached<T>(map: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let hit = map.get(key);
  if (!hit) {
    hit = load();
    map.set(key, hit);
    hit.catch(() => map.delete(key));
  }
  return hit;
}
