// A template's versions: the list, one by name, and a version's parameters
// (coderd/templates.go, coderd/templateversions.go). The workspace updates
// of spec.version resolve names here; parameter reconciliation reads which
// parameters are mutable or ephemeral.
import { canReadTemplate } from '../authz.ts';
import { convertTemplateVersion } from '../convert.ts';
import type { SimTemplate, SimTemplateVersion } from '../model.ts';
import { isResponse, uuidParam } from '../params.ts';
import { errorResponse, json, notFound, type SimResponse } from '../responses.ts';
import type { HandlerContext, Route } from '../router.ts';

export const templateVersionRoutes: Route[] = [
  { method: 'GET', template: '/api/v2/templates/{template}/versions', auth: true, handler: listVersions },
  { method: 'GET', template: '/api/v2/templates/{template}/versions/{templateversionname}', auth: true, handler: versionByName },
  { method: 'GET', template: '/api/v2/templateversions/{templateversion}/rich-parameters', auth: true, handler: versionParameters },
  { method: 'GET', template: '/api/v2/templateversions/{templateversion}/presets', auth: true, handler: versionPresets },
];

// codersdk.Preset has no json tags, so its fields go out with their Go names;
// a version without presets is `null` (a nil slice), as coderd sends it.
function versionPresets(ctx: HandlerContext): SimResponse {
  const id = uuidParam(ctx, 'templateversion');
  if (isResponse(id)) return id;
  const version = ctx.state.versions.get(id);
  const template = version && ctx.state.templates.get(version.templateId);
  if (!version || !template || !canReadTemplate(ctx.actor, template)) return notFound();
  if (version.presets.length === 0) return json(200, null);
  return json(
    200,
    version.presets.map((p) => ({
      ID: p.id,
      Name: p.name,
      Parameters: p.parameters.map((q) => ({ Name: q.name, Value: q.value })),
      Default: p.isDefault,
      DesiredPrebuildInstances: null,
      Description: '',
      Icon: '',
    })),
  );
}

function templateParam(ctx: HandlerContext): SimTemplate | SimResponse {
  const id = uuidParam(ctx, 'template');
  if (isResponse(id)) return id;
  const template = ctx.state.templates.get(id);
  if (!template || template.deleted || !canReadTemplate(ctx.actor, template)) return notFound();
  return template;
}

function versionsOf(ctx: HandlerContext, template: SimTemplate): SimTemplateVersion[] {
  // Oldest first, as the database query orders them.
  return [...ctx.state.versions.values()].filter((v) => v.templateId === template.id).sort((a, b) => a.createdAt - b.createdAt);
}

function listVersions(ctx: HandlerContext): SimResponse {
  const template = templateParam(ctx);
  if (isResponse(template)) return template;
  const archived = ctx.query.get('include_archived') === 'true';
  const offset = Number(ctx.query.get('offset') ?? '0') || 0;
  const limit = Number(ctx.query.get('limit') ?? '0') || 0;
  const all = versionsOf(ctx, template).filter((v) => archived || !v.archived);
  const page = limit > 0 ? all.slice(offset, offset + limit) : all.slice(offset);
  return json(200, page.map(convertTemplateVersion));
}

// Names are compared exactly (the query is `name = $2`); archived versions are found too.
function versionByName(ctx: HandlerContext): SimResponse {
  const template = templateParam(ctx);
  if (isResponse(template)) return template;
  const name = ctx.params.templateversionname ?? '';
  const version = versionsOf(ctx, template).find((v) => v.name === name);
  if (!version) return errorResponse(404, `No template version found by name ${JSON.stringify(name)}.`);
  return json(200, convertTemplateVersion(version));
}

function versionParameters(ctx: HandlerContext): SimResponse {
  const id = uuidParam(ctx, 'templateversion');
  if (isResponse(id)) return id;
  const version = ctx.state.versions.get(id);
  const template = version && ctx.state.templates.get(version.templateId);
  if (!version || !template || !canReadTemplate(ctx.actor, template)) return notFound();
  return json(
    200,
    version.parameters.map((p) => ({
      name: p.name,
      display_name: '',
      description: '',
      description_plaintext: '',
      type: p.type,
      form_type: p.options.length > 0 ? 'dropdown' : 'input',
      mutable: p.mutable,
      default_value: p.defaultValue,
      icon: '',
      options: p.options.map((o) => ({ name: o.name, description: '', value: o.value, icon: '' })),
      required: p.required,
      ephemeral: p.ephemeral,
    })),
  );
}
