// Read-only lookups: build info, users, organizations, templates and
// template versions (docs/coder-api.md: Build info; Users, organizations, templates).
import { canReadTemplate } from '../authz.ts';
import { profileOf } from '../versions.ts';
import { buildInfo, convertOrganization, convertTemplate, convertTemplateVersion, convertUser } from '../convert.ts';
import { isResponse, organizationParam, userParam, uuidParam } from '../params.ts';
import { json, notFound } from '../responses.ts';
import type { Route } from '../router.ts';

export const lookupRoutes: Route[] = [
  {
    method: 'GET',
    template: '/api/v2/buildinfo',
    auth: false,
    handler: (ctx) => json(200, buildInfo(ctx.baseUrl, ctx.state.deploymentId, profileOf(ctx.state).buildVersion)),
  },
  {
    method: 'GET',
    template: '/api/v2/users/{user}',
    auth: true,
    handler: (ctx) => {
      const user = userParam(ctx);
      return isResponse(user) ? user : json(200, convertUser(user, ctx.state));
    },
  },
  {
    method: 'GET',
    template: '/api/v2/organizations/{organization}',
    auth: true,
    handler: (ctx) => {
      const org = organizationParam(ctx);
      return isResponse(org) ? org : json(200, convertOrganization(org));
    },
  },
  {
    method: 'GET',
    template: '/api/v2/organizations/{organization}/templates/{templatename}',
    auth: true,
    handler: (ctx) => {
      const org = organizationParam(ctx);
      if (isResponse(org)) return org;
      const template = ctx.state.findTemplate(org.id, ctx.params.templatename ?? '');
      if (!template || !canReadTemplate(ctx.actor, template)) return notFound();
      return json(200, convertTemplate(template, org));
    },
  },
  {
    method: 'GET',
    template: '/api/v2/templateversions/{templateversion}',
    auth: true,
    handler: (ctx) => {
      const id = uuidParam(ctx, 'templateversion');
      if (isResponse(id)) return id;
      const version = ctx.state.versions.get(id);
      const template = version && ctx.state.templates.get(version.templateId);
      if (!version || !template || !canReadTemplate(ctx.actor, template)) return notFound();
      return json(200, convertTemplateVersion(version));
    },
  },
];
