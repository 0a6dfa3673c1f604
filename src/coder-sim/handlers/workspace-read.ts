// Reading workspaces and builds (docs/coder-api.md: Reading workspaces, Listing workspaces): list with search and
// pagination, by id (410 when deleted), by owner and name, and builds.
import type { ValidationError } from '../../coder/types.ts';
import { canReadWorkspace } from '../authz.ts';
import { convertBuild, convertWorkspace } from '../convert.ts';
import { deletedAt, isWorkspaceDeleted, jobStatusAt, latestBuild, workspaceStatusAt } from '../lifecycle.ts';
import type { SimUser, SimWorkspace } from '../model.ts';
import { isResponse, userParam, uuidParam, workspaceParam } from '../params.ts';
import { parseGoBool } from '../request-body.ts';
import { errorResponse, forbidden, invalidQueryParams, json, notFound, type SimResponse } from '../responses.ts';
import type { HandlerContext, Route } from '../router.ts';
import { parseWorkspaceQuery, type WorkspaceFilter } from '../search-query.ts';
import { isFullAccess, profileOf } from '../versions.ts';

export const workspaceReadRoutes: Route[] = [
  { method: 'GET', template: '/api/v2/workspaces', auth: true, handler: listWorkspaces },
  { method: 'GET', template: '/api/v2/workspaces/{workspace}', auth: true, handler: getWorkspace },
  { method: 'GET', template: '/api/v2/users/{user}/workspace/{workspacename}', auth: true, handler: getWorkspaceByName },
  { method: 'GET', template: '/api/v2/workspaces/{workspace}/builds', auth: true, handler: listBuilds },
  { method: 'GET', template: '/api/v2/workspacebuilds/{workspacebuild}', auth: true, handler: getBuild },
  { method: 'GET', template: '/api/v2/workspacebuilds/{workspacebuild}/parameters', auth: true, handler: getBuildParameters },
];

function listWorkspaces(ctx: HandlerContext): SimResponse {
  const page = pagination(ctx.query);
  if (isResponse(page)) return page;
  const filter = parseWorkspaceQuery(ctx.query.get('q') ?? '', {
    organizationId: (name) => [...ctx.state.organizations.values()].find((o) => o.name.toLowerCase() === name.toLowerCase())?.id,
  });
  if (Array.isArray(filter)) return errorResponse(400, 'Invalid workspace search query.', { validations: filter });
  const { state, actor } = ctx;
  const now = state.now();
  const matches = [...state.workspaces.values()].filter(
    (ws) => !isWorkspaceDeleted(ws, now) && canReadWorkspace(actor, ws) && matchesFilter(ctx, ws, filter, actor),
  );
  // Keys computed once per match, not once per comparison: a 100,000-workspace list is read in 50 pages and
  // each page sorts the whole set, as coderd's ORDER BY does before its OFFSET.
  const keyed = matches.map((ws) => {
    const build = latestBuild(ws);
    const favorite = ws.favorite && ws.ownerId === actor.id ? 0 : 1;
    const started = build.transition === 'start' && jobStatusAt(build, now) === 'succeeded' ? 0 : 1;
    return { ws, rank: favorite * 2 + started, owner: state.mustUser(ws.ownerId).username.toLowerCase(), name: ws.name.toLowerCase() };
  });
  keyed.sort((a, b) => a.rank - b.rank || compareText(a.owner, b.owner) || compareText(a.name, b.name));
  const sorted = keyed.map((k) => k.ws);
  const sliced = page.limit > 0 ? sorted.slice(page.offset, page.offset + page.limit) : sorted.slice(page.offset);
  // v2.27.0: a narrowly scoped token is counted every match and shown none.
  const shown = profileOf(state).narrowTokensHideWorkspaces && !isFullAccess(ctx.key) ? [] : sliced;
  return json(200, { workspaces: shown.map((ws) => convertWorkspace(state, ws, actor)), count: matches.length });
}

/** Code-unit order, as the comparison of the two strings with < and > gives. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function matchesFilter(ctx: HandlerContext, ws: SimWorkspace, f: WorkspaceFilter, actor: SimUser): boolean {
  const { state } = ctx;
  const owner = state.mustUser(ws.ownerId);
  if (f.owner !== undefined) {
    const wanted = f.owner === 'me' ? actor.username.toLowerCase() : f.owner;
    if (owner.username.toLowerCase() !== wanted) return false;
  }
  if (f.name !== undefined && !ws.name.toLowerCase().includes(f.name)) return false;
  const template = state.mustTemplate(ws.templateId);
  // coderd matches the names of templates that are not deleted, in every organization.
  if (f.template !== undefined && (template.deleted || template.name.toLowerCase() !== f.template)) return false;
  if (f.status !== undefined && workspaceStatusAt(latestBuild(ws), state.now()) !== f.status) return false;
  if (f.dormant === true && ws.dormantAt === null) return false;
  if (f.ids !== undefined && !f.ids.includes(ws.id)) return false;
  if (f.organizationId !== undefined && ws.orgId.toLowerCase() !== f.organizationId) return false;
  if (f.outdated !== undefined && (latestBuild(ws).templateVersionId !== template.activeVersionId) !== f.outdated) return false;
  if (f.lastUsedAfter !== undefined && ws.lastUsedAt <= f.lastUsedAfter) return false;
  if (f.lastUsedBefore !== undefined && ws.lastUsedAt >= f.lastUsedBefore) return false;
  return true;
}

/** limit and offset (coderd/pagination.go): 0 means no limit; no server maximum. */
export function pagination(query: URLSearchParams): { limit: number; offset: number } | SimResponse {
  const errors: ValidationError[] = [];
  const read = (name: string): number => {
    const raw = query.get(name);
    if (raw === null || raw === '') return 0;
    if (!/^-?\d+$/.test(raw)) {
      errors.push({
        field: name,
        detail:
          `Query param ${JSON.stringify(name)} must be a valid 32-bit positive integer: ` +
          `strconv.ParseInt: parsing ${JSON.stringify(raw)}: invalid syntax`,
      });
      return 0;
    }
    const n = Number(raw);
    if (n < 0 || n > 2 ** 31 - 1) {
      errors.push({
        field: name,
        detail: `Query param ${JSON.stringify(name)} must be a valid 32-bit positive integer: value out of range`,
      });
      return 0;
    }
    return n;
  };
  const limit = read('limit');
  const offset = read('offset');
  return errors.length > 0 ? invalidQueryParams(errors) : { limit, offset };
}

function includeDeleted(query: URLSearchParams): boolean | SimResponse {
  const raw = query.get('include_deleted');
  if (raw === null || raw === '') return false;
  const value = parseGoBool(raw);
  if (value === undefined) {
    return invalidQueryParams([{ field: 'include_deleted', detail: `Query param "include_deleted" must be a valid boolean` }]);
  }
  return value;
}

function getWorkspace(ctx: HandlerContext): SimResponse {
  const ws = workspaceParam(ctx);
  if (isResponse(ws)) return ws;
  const withDeleted = includeDeleted(ctx.query);
  if (isResponse(withDeleted)) return withDeleted;
  if (profileOf(ctx.state).narrowTokensHideWorkspaces && !isFullAccess(ctx.key)) return forbidden();
  if (isWorkspaceDeleted(ws, ctx.state.now()) && !withDeleted) {
    return errorResponse(
      410,
      `Workspace ${JSON.stringify(ws.id)} was deleted, you can view this workspace by specifying '?include_deleted=true' and trying again.`,
    );
  }
  return json(200, convertWorkspace(ctx.state, ws, ctx.actor));
}

function getWorkspaceByName(ctx: HandlerContext): SimResponse {
  const owner = userParam(ctx);
  if (isResponse(owner)) return owner;
  const withDeleted = includeDeleted(ctx.query);
  if (isResponse(withDeleted)) return withDeleted;
  const { state } = ctx;
  const name = ctx.params.workspacename ?? '';
  let ws = state.findLiveWorkspace(owner.id, name);
  if (!ws && withDeleted) {
    // The most recently deleted workspace with that name.
    const now = state.now();
    ws = [...state.workspaces.values()]
      .filter((w) => w.ownerId === owner.id && w.name.toLowerCase() === name.toLowerCase() && isWorkspaceDeleted(w, now))
      .sort((a, b) => deletedAt(b) - deletedAt(a))[0];
  }
  if (!ws || !canReadWorkspace(ctx.actor, ws)) return notFound();
  return json(200, convertWorkspace(state, ws, ctx.actor));
}

function listBuilds(ctx: HandlerContext): SimResponse {
  const ws = workspaceParam(ctx);
  if (isResponse(ws)) return ws;
  const page = pagination(ctx.query);
  if (isResponse(page)) return page;
  const newestFirst = [...ws.builds].reverse();
  const sliced = page.limit > 0 ? newestFirst.slice(page.offset, page.offset + page.limit) : newestFirst.slice(page.offset);
  return json(
    200,
    sliced.map((b) => convertBuild(ctx.state, ws, b)),
  );
}

function getBuild(ctx: HandlerContext): SimResponse {
  const found = readableBuild(ctx);
  return isResponse(found) ? found : json(200, convertBuild(ctx.state, found.ws, found.build));
}

/** The values the build ran with (coderd/workspacebuilds.go, workspaceBuildParameters). */
function getBuildParameters(ctx: HandlerContext): SimResponse {
  const found = readableBuild(ctx);
  return isResponse(found)
    ? found
    : json(
        200,
        found.build.parameters.map((p) => ({ name: p.name, value: p.value })),
      );
}

/** The build named by the path and its workspace; a build the actor may not read is a 404, as if it did not exist. */
function readableBuild(ctx: HandlerContext): { ws: SimWorkspace; build: SimWorkspace['builds'][number] } | SimResponse {
  const id = uuidParam(ctx, 'workspacebuild');
  if (isResponse(id)) return id;
  for (const ws of ctx.state.workspaces.values()) {
    const build = ws.builds.find((b) => b.id === id);
    if (!build) continue;
    return canReadWorkspace(ctx.actor, ws) ? { ws, build } : notFound();
  }
  return notFound();
}
