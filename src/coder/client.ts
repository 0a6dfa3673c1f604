// The Coder REST API v2 client: one method per endpoint the engine uses.
// Each method states its route, body and whether a retry is safe; headers,
// retries, rate limits and errors are ./transport.ts's business.
import type { CoderApi } from './api.ts';
import type { CallBody, CoderCall, RouteParams } from './call.ts';
import type { CircuitBreaker } from './circuit-breaker.ts';
import { CoderIncompleteListError, CoderListBoundError, isNotFound } from './errors.ts';
import { PathRateLimiter } from './rate-limit.ts';
import { routePath } from './route.ts';
import { tokenFormProblem } from './session-token.ts';
import {
  CoderTransport,
  DEFAULT_MAX_RETRY_AFTER_MS,
  DEFAULT_RETRY_DEADLINE_MS,
  MAX_LIST_BODY_BYTES,
  type CoderAnswer,
  type CoderClientLogger,
  type CoderRequest,
  type CoderRequestEvent,
} from './transport.ts';
import type {
  APIKey,
  AutomaticUpdates,
  BuildInfo,
  CreateTokenRequest,
  CreateWorkspaceBuildRequest,
  CreateWorkspaceRequest,
  GenerateAPIKeyResponse,
  Group,
  Organization,
  Template,
  TemplateVersion,
  TemplateVersionParameter,
  TokenConfig,
  User,
  UsersResponse,
  Workspace,
  WorkspaceBuild,
  WorkspaceBuildParameter,
  WorkspacesResponse,
} from './types.ts';

export type { CoderRequestEvent } from './transport.ts';

/** An option left out or given as undefined takes its default (a flag or spec field not set passes straight through). */
export interface CoderClientOptions {
  /** Base URL of the deployment, with or without a trailing slash (and with any path prefix). */
  url: string;
  /** Session or API token, sent as Coder-Session-Token and nowhere else. */
  token: string;
  /** Per attempt, covering the answer's body too. Default 30 s. */
  timeoutMs?: number | undefined;
  /** Retries of idempotent calls. Default 4 (five tries in all). */
  maxRetries?: number;
  /** Full-jitter backoff: sleep random() * min(retryMaxMs, retryBaseMs * 2^attempt). Defaults 200 ms, 10 s. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Longest wait honoured for one Retry-After or X-RateLimit-Reset. Default 60 s. */
  maxRetryAfterMs?: number;
  /**
   * No retry starts later than this after a call's first attempt began, however
   * many retries are left. Default 180 s.
   */
  retryDeadlineMs?: number;
  /**
   * Client-side limit per request path. Default 400, below the server's 512.
   * With bypassRateLimit the server does not limit a site Owner; the client
   * still does, so raise this instead of expecting no limit.
   */
  requestsPerMinute?: number | undefined;
  /** Token-bucket size per path; default requestsPerMinute / 10 (see rate-limit.ts). */
  rateLimitBurst?: number;
  /** Send X-Coder-Bypass-Ratelimit: true (site Owner only; others get 428). */
  bypassRateLimit?: boolean | undefined;
  /**
   * GET /workspaces page size. Default 2000: the list is one rate-limited path,
   * so few, large pages (Coder has no maximum; 10,000 workspaces are 5 reads).
   */
  listPageSize?: number;
  /**
   * Bounds on one workspace list, whatever the server says (a hostile one may
   * claim `count: 1e15` and send new workspaces on every page): at most this
   * many workspaces (reported by `count` or received). Default 100,000.
   */
  listMaxItems?: number | undefined;
  /** At most this many pages per list. Default: enough for listMaxItems, plus one. */
  listMaxPages?: number;
  /** A whole list (all its pages, retries included) ends within this. Default 5 minutes. */
  listDeadlineMs?: number | undefined;
  /** Names this client's deployment in errors, e.g. `connection CoderConnection/ns/name`. Default `Coder at URL`. */
  source?: string;
  logger?: CoderClientLogger;
  /** Called after every attempt, e.g. for prom-client metrics. */
  onResponse?: ((event: CoderRequestEvent) => void) | undefined;
  /** Injectable for deterministic tests. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds clock used for Retry-After dates, X-RateLimit-Reset and the limiter. */
  now?: () => number;
  userAgent?: string;
  /** Share one limiter between clients; withToken does this. Default: a new one. */
  rateLimiter?: PathRateLimiter;
  /**
   * The connection's circuit breaker (circuit-breaker.ts), shared by withToken:
   * a timeout opens it, and nothing is sent (or retried) while it is open.
   * Default: none (the CLI retries a timed-out read; the operator passes one).
   */
  circuitBreaker?: CircuitBreaker;
}

export const CODER_CLIENT_DEFAULTS = {
  timeoutMs: 30_000,
  maxRetries: 4,
  retryBaseMs: 200,
  retryMaxMs: 10_000,
  maxRetryAfterMs: DEFAULT_MAX_RETRY_AFTER_MS,
  retryDeadlineMs: DEFAULT_RETRY_DEADLINE_MS,
  requestsPerMinute: 400,
  listPageSize: 2000,
  // 40,000 workspaces (the largest fleet measured, docs/performance.md) fit 2.5 times.
  listMaxItems: 100_000,
  listDeadlineMs: 300_000,
  userAgent: 'coder-workspace-operator',
} as const;

/** Room per workspace when a page size above 2,000 raises a list page's body limit. */
const LIST_BYTES_PER_WORKSPACE = 16 * 1024;

/** Coder's own limit per (user, path) per minute (docs/coder-api.md, Rate limits). */
const SERVER_REQUESTS_PER_MINUTE = 512;

export class CoderClient implements CoderApi {
  readonly baseUrl: string;
  readonly listPageSize: number;
  readonly listMaxItems: number;
  readonly listDeadlineMs: number;
  /** How errors name this deployment (listing bounds). */
  readonly source: string;
  readonly rateLimiter: PathRateLimiter;
  readonly #options: CoderClientOptions;
  readonly #transport: CoderTransport;
  readonly #now: () => number;

  constructor(opts: CoderClientOptions) {
    const url = new URL(opts.url); // throws on a malformed URL, before any request
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`Coder URL must be http(s), got ${url.protocol}`);
    if (url.search || url.hash) throw new TypeError('Coder URL must not carry a query or fragment');
    if (opts.token.trim() === '') throw new TypeError('Coder token is empty');
    // fetch would quote the whole header value in its error: refuse it here, without the value.
    const problem = tokenFormProblem(opts.token);
    if (problem) throw new TypeError(`the Coder token is not usable: ${problem}`);
    const d = CODER_CLIENT_DEFAULTS;
    this.baseUrl = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    this.listPageSize = positiveInteger('listPageSize', opts.listPageSize ?? d.listPageSize);
    this.listMaxItems = positiveInteger('listMaxItems', opts.listMaxItems ?? d.listMaxItems);
    this.listDeadlineMs = positiveInteger('listDeadlineMs', opts.listDeadlineMs ?? d.listDeadlineMs);
    if (opts.listMaxPages !== undefined) positiveInteger('listMaxPages', opts.listMaxPages);
    this.source = opts.source ?? `Coder at ${this.baseUrl}`;
    const now = opts.now ?? Date.now;
    this.#now = now;
    const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    this.rateLimiter =
      opts.rateLimiter ??
      new PathRateLimiter({
        requestsPerMinute: opts.requestsPerMinute ?? d.requestsPerMinute,
        ...(opts.rateLimitBurst !== undefined ? { burst: opts.rateLimitBurst } : {}),
        now,
        sleep,
      });
    if (!opts.bypassRateLimit && this.rateLimiter.requestsPerMinute + this.rateLimiter.burst > SERVER_REQUESTS_PER_MINUTE) {
      opts.logger?.warn(
        { requestsPerMinute: this.rateLimiter.requestsPerMinute, burst: this.rateLimiter.burst },
        "client rate limit can exceed Coder's 512 requests per minute per path; expect 429s",
      );
    }
    this.#options = opts;
    this.#transport = new CoderTransport({
      baseUrl: this.baseUrl,
      token: opts.token,
      userAgent: opts.userAgent ?? d.userAgent,
      timeoutMs: positiveInteger('timeoutMs', opts.timeoutMs ?? d.timeoutMs),
      maxRetries: nonNegativeInteger('maxRetries', opts.maxRetries ?? d.maxRetries),
      retryBaseMs: nonNegativeInteger('retryBaseMs', opts.retryBaseMs ?? d.retryBaseMs),
      retryMaxMs: nonNegativeInteger('retryMaxMs', opts.retryMaxMs ?? d.retryMaxMs),
      maxRetryAfterMs: nonNegativeInteger('maxRetryAfterMs', opts.maxRetryAfterMs ?? d.maxRetryAfterMs),
      retryDeadlineMs: nonNegativeInteger('retryDeadlineMs', opts.retryDeadlineMs ?? d.retryDeadlineMs),
      bypassRateLimit: opts.bypassRateLimit ?? false,
      limiter: this.rateLimiter,
      breaker: opts.circuitBreaker,
      logger: opts.logger,
      onResponse: opts.onResponse,
      random: opts.random ?? Math.random,
      sleep,
      now,
    });
  }

  withToken(token: string): CoderClient {
    return new CoderClient({ ...this.#options, token, rateLimiter: this.rateLimiter });
  }

  async buildInfo(): Promise<BuildInfo> {
    return (await this.#get(routePath('/api/v2/buildinfo'))) as BuildInfo;
  }

  async getUser(user: string): Promise<User> {
    return (await this.#get(routePath('/api/v2/users/{user}', { user }))) as User;
  }

  async getOrganization(org: string): Promise<Organization> {
    return (await this.#get(routePath('/api/v2/organizations/{organization}', { organization: org }))) as Organization;
  }

  async getTemplateByName(organizationId: string, name: string): Promise<Template> {
    const route = routePath('/api/v2/organizations/{organization}/templates/{templatename}', {
      organization: organizationId,
      templatename: name,
    });
    return (await this.#get(route)) as Template;
  }

  async getTemplateVersion(id: string): Promise<TemplateVersion> {
    return (await this.#get(routePath('/api/v2/templateversions/{templateversion}', { templateversion: id }))) as TemplateVersion;
  }

  async getTemplateVersionByName(templateId: string, name: string): Promise<TemplateVersion> {
    const route = routePath('/api/v2/templates/{template}/versions/{templateversionname}', {
      template: templateId,
      templateversionname: name,
    });
    const body = await this.#get(route);
    // swagger.json documents an array; coderd's handler writes the one version. Accept both.
    const version = Array.isArray(body) ? body[0] : body;
    if (!version || typeof version !== 'object') throw new TypeError(`GET ${route.path} answered without a template version`);
    return version as TemplateVersion;
  }

  async getTemplateVersionParameters(versionId: string): Promise<TemplateVersionParameter[]> {
    const route = routePath('/api/v2/templateversions/{templateversion}/rich-parameters', { templateversion: versionId });
    return (await this.#get(route)) as TemplateVersionParameter[];
  }

  async send<Route extends string, Body, Answer>(
    call: CoderCall<Route, Body, Answer>,
    params: RouteParams<Route>,
    ...body: CallBody<Body>
  ): Promise<Answer> {
    const route = routePath(call.route, params);
    const sent = call.encode && body.length > 0 ? { body: call.encode(body[0] as Body) } : {};
    const answer = await this.#send({ method: call.method, route, idempotent: call.idempotent, ...sent });
    return call.decode(answer.body);
  }

  async getBuildParameters(buildId: string): Promise<WorkspaceBuildParameter[]> {
    const route = routePath('/api/v2/workspacebuilds/{workspacebuild}/parameters', { workspacebuild: buildId });
    return (await this.#get(route)) as WorkspaceBuildParameter[];
  }

  // Coder orders the list by the requester's favorites, then workspaces whose
  // latest build is a successful start, then owner and name (docs/coder-api.md,
  // Listing workspaces), and pages by offset with no cursor. A workspace that starts or stops
  // while we page can therefore move across a page boundary: it then shows up
  // twice (kept once, by id, the later copy) or not at all (the next resync
  // finds it). Few large pages keep that window, and the rate-limit cost, small.
  async listWorkspaces(opts: { q?: string; pageSize?: number } = {}): Promise<Workspace[]> {
    const byId = new Map<string, Workspace>();
    await this.forEachWorkspacePage(opts, (page) => {
      for (const ws of page) byId.set(ws.id, ws);
    });
    return [...byId.values()];
  }

  // Bounded three ways (issue 18 item 5), each failing with the bound to raise:
  // the server's count and the workspaces received against listMaxItems (a
  // count above it fails at the first page, before anything piles up), the
  // pages against listMaxPages, and the whole list against listDeadlineMs.
  async forEachWorkspacePage(opts: { q?: string; pageSize?: number } = {}, onPage: (workspaces: Workspace[]) => void): Promise<void> {
    await this.#forEachPage(
      { route: routePath('/api/v2/workspaces'), what: 'workspaces', ...opts },
      (body) => {
        const page = asWorkspacesResponse(body);
        return { items: page.workspaces, count: page.count };
      },
      onPage,
    );
  }

  /**
   * GET /api/v2/users with a Coder search query, page by page, under the same
   * bounds as the workspace list (a users page is smaller than a workspaces
   * page: one list per WorkspaceSet generator per refresh).
   */
  async forEachUserPage(opts: { q?: string; pageSize?: number }, onPage: (users: User[]) => void): Promise<void> {
    await this.#forEachPage(
      { route: routePath('/api/v2/users'), what: 'users', ...opts },
      (body) => {
        const page = body as Partial<UsersResponse> | undefined;
        if (!page || !Array.isArray(page.users) || typeof page.count !== 'number') {
          throw new TypeError('GET /api/v2/users answered without {users, count}');
        }
        return { items: page.users, count: page.count };
      },
      onPage,
    );
  }

  /**
   * GET /api/v2/organizations/{organization}/groups/{groupName}: the group with
   * its members (every Coder version we support embeds them). 403 "... is a
   * Premium feature" on a server without Template RBAC.
   */
  async getGroupByName(organization: string, name: string): Promise<Group> {
    const route = routePath('/api/v2/organizations/{organization}/groups/{groupName}', { organization, groupName: name });
    const body = await this.#send({ method: 'GET', route, idempotent: true, maxBodyBytes: MAX_LIST_BODY_BYTES });
    return body.body as Group;
  }

  async #forEachPage<T extends { id: string }>(
    opts: { route: CoderRequest['route']; what: 'workspaces' | 'users'; q?: string; pageSize?: number },
    pageOf: (body: unknown) => { items: T[]; count: number },
    onPage: (items: T[]) => void,
  ): Promise<void> {
    const { route, what } = opts;
    const pageSize = positiveInteger('pageSize', opts.pageSize ?? this.listPageSize);
    const maxItems = this.listMaxItems;
    const maxPages = this.#options.listMaxPages ?? Math.ceil(maxItems / pageSize) + 1;
    const deadlineAt = this.#now() + this.listDeadlineMs;
    const seen = new Set<string>();
    const bound = (b: 'items' | 'pages' | 'deadline', detail: string, raise: string) =>
      new CoderListBoundError({ source: this.source, bound: b, detail, raise, what });
    const tooMany = (n: number, said: string) =>
      bound(
        'items',
        `${said} ${n} ${what}, more than the ${maxItems} a list may hold`,
        'if the deployment really has that many, raise the bound (--max-list-items)',
      );
    for (let offset = 0, pages = 0; ; pages++) {
      if (pages >= maxPages)
        throw bound(
          'pages',
          `${pages} pages of up to ${pageSize} did not reach the end of the list`,
          'check that the URL is a Coder deployment, or raise --max-list-items',
        );
      const query: Record<string, string> = {};
      if (opts.q !== undefined) query.q = opts.q; // verbatim: Coder lowercases it itself
      query.limit = String(pageSize);
      query.offset = String(offset);
      // A page's body may be large (~2.4 KB per workspace): its own limit, growing with the page size.
      const maxBodyBytes = Math.max(MAX_LIST_BODY_BYTES, pageSize * LIST_BYTES_PER_WORKSPACE);
      const lateBy = () =>
        bound(
          'deadline',
          `${pages} pages (${seen.size} ${what}) took longer than ${Math.round(this.listDeadlineMs / 1000)}s`,
          'if the deployment is that slow to list, raise the bound (--list-deadline)',
        );
      if (this.#now() >= deadlineAt) throw lateBy();
      let answer: CoderAnswer;
      try {
        answer = await this.#send({ method: 'GET', route, query, idempotent: true, maxBodyBytes, deadlineAt });
      } catch (error) {
        // An attempt cut short by the list's deadline is the deadline's failure, not the network's.
        if (this.#now() >= deadlineAt) throw Object.assign(lateBy(), { cause: error });
        throw error;
      }
      const page = pageOf(answer.body);
      if (page.count > maxItems) throw tooMany(page.count, 'the server reports');
      // Count and rows come from one query, so an empty first page with a
      // count means rows hidden from this token (v2.27.0 with workspace:read),
      // not an empty list. A later empty page ends the list as before.
      if (offset === 0 && page.items.length === 0 && page.count > 0) {
        throw new CoderIncompleteListError({ path: route.template, count: page.count, offset, what });
      }
      for (const item of page.items) seen.add(item.id);
      if (seen.size > maxItems) throw tooMany(seen.size, 'the server sent');
      onPage(page.items);
      offset += page.items.length;
      if (page.items.length < pageSize || seen.size >= page.count || offset >= page.count) break;
    }
  }

  async getWorkspace(id: string, opts: { includeDeleted?: boolean } = {}): Promise<Workspace> {
    const query = opts.includeDeleted ? { include_deleted: 'true' } : undefined;
    return (await this.#get(routePath('/api/v2/workspaces/{workspace}', { workspace: id }), query)) as Workspace;
  }

  async findWorkspace(owner: string, name: string): Promise<Workspace | undefined> {
    const route = routePath('/api/v2/users/{user}/workspace/{workspacename}', { user: owner, workspacename: name });
    try {
      return (await this.#get(route)) as Workspace;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async createWorkspace(owner: string, req: CreateWorkspaceRequest): Promise<Workspace> {
    const route = routePath('/api/v2/users/{user}/workspaces', { user: owner });
    return (await this.#send({ method: 'POST', route, body: req, idempotent: false })).body as Workspace;
  }

  // Coder treats a rename to the current name as a no-op (docs/coder-api.md, Settings),
  // so sending it again after a lost answer is safe.
  async renameWorkspace(id: string, name: string): Promise<void> {
    const route = routePath('/api/v2/workspaces/{workspace}', { workspace: id });
    await this.#send({ method: 'PATCH', route, body: { name }, idempotent: true });
  }

  // Off is sent as "" (autostart) and 0 (ttl): both mean off to Coder
  // (docs/coder-api.md, Settings) and, unlike null, both fit the swagger types.
  async setAutostart(id: string, schedule: string | null): Promise<void> {
    const route = routePath('/api/v2/workspaces/{workspace}/autostart', { workspace: id });
    await this.#send({ method: 'PUT', route, body: { schedule: schedule ?? '' }, idempotent: true });
  }

  async setTtl(id: string, ttlMs: number | null): Promise<void> {
    const route = routePath('/api/v2/workspaces/{workspace}/ttl', { workspace: id });
    await this.#send({ method: 'PUT', route, body: { ttl_ms: ttlMs ?? 0 }, idempotent: true });
  }

  async setDormant(id: string, dormant: boolean): Promise<Workspace | undefined> {
    const route = routePath('/api/v2/workspaces/{workspace}/dormant', { workspace: id });
    const answer = await this.#send({ method: 'PUT', route, body: { dormant }, idempotent: true, alsoOk: [304] });
    return answer.status === 304 ? undefined : (answer.body as Workspace);
  }

  async setFavorite(id: string, favorite: boolean): Promise<void> {
    const route = routePath('/api/v2/workspaces/{workspace}/favorite', { workspace: id });
    await this.#send({ method: favorite ? 'PUT' : 'DELETE', route, idempotent: true });
  }

  async setAutomaticUpdates(id: string, value: AutomaticUpdates): Promise<void> {
    const route = routePath('/api/v2/workspaces/{workspace}/autoupdates', { workspace: id });
    await this.#send({ method: 'PUT', route, body: { automatic_updates: value }, idempotent: true });
  }

  // Never retried: a second start or stop would queue a second build
  // (docs/coder-api.md, Builds). The engine reads the workspace to learn what happened.
  async createBuild(id: string, req: CreateWorkspaceBuildRequest): Promise<WorkspaceBuild> {
    const route = routePath('/api/v2/workspaces/{workspace}/builds', { workspace: id });
    return (await this.#send({ method: 'POST', route, body: req, idempotent: false })).body as WorkspaceBuild;
  }

  async getBuild(buildId: string): Promise<WorkspaceBuild> {
    return (await this.#get(routePath('/api/v2/workspacebuilds/{workspacebuild}', { workspacebuild: buildId }))) as WorkspaceBuild;
  }

  async tokenConfig(user: string): Promise<TokenConfig> {
    return (await this.#get(routePath('/api/v2/users/{user}/keys/tokens/tokenconfig', { user }))) as TokenConfig;
  }

  // Never retried: a lost answer would leave a live token we cannot delete,
  // and a second one beside it.
  async createToken(user: string, req: CreateTokenRequest): Promise<GenerateAPIKeyResponse> {
    const route = routePath('/api/v2/users/{user}/keys/tokens', { user });
    return (await this.#send({ method: 'POST', route, body: req, idempotent: false })).body as GenerateAPIKeyResponse;
  }

  async deleteToken(user: string, keyId: string): Promise<void> {
    const route = routePath('/api/v2/users/{user}/keys/{keyid}', { user, keyid: keyId });
    await this.#send({ method: 'DELETE', route, idempotent: true });
  }

  async listTokens(user: string): Promise<APIKey[]> {
    const body = await this.#get(routePath('/api/v2/users/{user}/keys/tokens', { user }));
    // No tokens is `null` on a real coderd (a nil Go slice), not [] (docs/coder-api.md).
    if (body === null) return [];
    if (!Array.isArray(body)) throw new TypeError('GET /api/v2/users/{user}/keys/tokens answered without a list');
    return body as APIKey[];
  }

  async getToken(user: string, keyId: string): Promise<APIKey> {
    return (await this.#get(routePath('/api/v2/users/{user}/keys/{keyid}', { user, keyid: keyId }))) as APIKey;
  }

  async #get(route: CoderRequest['route'], query?: Record<string, string>): Promise<unknown> {
    return (await this.#send({ method: 'GET', route, ...(query ? { query } : {}), idempotent: true })).body;
  }

  #send(req: CoderRequest): Promise<CoderAnswer> {
    return this.#transport.send(req);
  }
}

function asWorkspacesResponse(body: unknown): WorkspacesResponse {
  const page = body as Partial<WorkspacesResponse> | undefined;
  if (!page || !Array.isArray(page.workspaces) || typeof page.count !== 'number') {
    throw new TypeError('GET /api/v2/workspaces answered without {workspaces, count}');
  }
  return page as WorkspacesResponse;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  return value;
}
