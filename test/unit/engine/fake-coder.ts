// A scriptable CoderApi for engine tests: records every call and lets a test
// make any one of them fail.
import type { CoderApi } from '../../../src/coder/api.ts';
import type { CallBody, CoderCall, RouteParams } from '../../../src/coder/call.ts';
import { readPresets, type TemplateVersionPreset } from '../../../src/engine/settings/preset.ts';
import type { APIKey, TemplateVersionParameter, Workspace, WorkspaceBuildParameter } from '../../../src/coder/types.ts';

export interface Call {
  method: keyof CoderApi;
  /** For `send`: the call's `METHOD /route/{template}`, its route parameters and its body. */
  args: unknown[];
}

export function coderWorkspace(overrides: Partial<Workspace> = {}): Workspace {
  return {
    id: '11111111-1111-4111-8111-111111111111',
    name: 'alice-dev',
    owner_id: '22222222-2222-4222-8222-222222222222',
    owner_name: 'alice',
    organization_id: '33333333-3333-4333-8333-333333333333',
    organization_name: 'coder',
    template_id: '44444444-4444-4444-8444-444444444444',
    template_name: 'docker',
    template_active_version_id: '77777777-7777-4777-8777-777777777777',
    created_at: '2026-11-01T00:00:00.000Z',
    updated_at: '2026-11-01T00:00:00.000Z',
    last_used_at: '2026-11-01T00:00:00.000Z',
    latest_build: {
      id: '55555555-5555-4555-8555-555555555555',
      workspace_id: '11111111-1111-4111-8111-111111111111',
      workspace_name: 'alice-dev',
      workspace_owner_id: '22222222-2222-4222-8222-222222222222',
      workspace_owner_name: 'alice',
      build_number: 1,
      transition: 'start',
      status: 'pending',
      template_version_id: '77777777-7777-4777-8777-777777777777',
      job: { id: 'job', status: 'pending', created_at: '2026-11-01T00:00:00.000Z' },
      created_at: '2026-11-01T00:00:00.000Z',
      updated_at: '2026-11-01T00:00:00.000Z',
    },
    outdated: false,
    next_start_at: null,
    dormant_at: null,
    deleting_at: null,
    automatic_updates: 'never',
    allow_renames: true,
    favorite: false,
    ...overrides,
  };
}

type Failures = Partial<Record<keyof CoderApi, unknown>>;

export class FakeCoder implements CoderApi {
  readonly calls: Call[] = [];
  failures: Failures = {};
  created: Workspace = coderWorkspace();
  found: Workspace | undefined;
  listed: Workspace[] = [];
  identity = 'admin';

  private async call<T>(method: keyof CoderApi, args: unknown[], value: T): Promise<T> {
    this.calls.push({ method, args });
    const failure = this.failures[method];
    if (failure !== undefined) throw failure;
    return value;
  }

  writes(): Call[] {
    const reads = new Set<keyof CoderApi>([
      'buildInfo',
      'getUser',
      'getOrganization',
      'getTemplateByName',
      'getTemplateVersion',
      'getTemplateVersionByName',
      'getTemplateVersionParameters',
      'getBuildParameters',
      'getGroupByName',
      'listWorkspaces',
      'getWorkspace',
      'findWorkspace',
      'getBuild',
      'tokenConfig',
      'listTokens',
      'getToken',
      'withToken',
    ]);
    // A declared call (send) is a read when it is a GET.
    return this.calls.filter((c) => !reads.has(c.method) && !(c.method === 'send' && String(c.args[0]).startsWith('GET ')));
  }

  buildInfo = () => this.call('buildInfo', [], { version: 'v2.36.1', external_url: '', dashboard_url: '', deployment_id: 'd' });
  /** Ids getUser answers with, by username; any other user is 'u'. */
  userIds: Record<string, string> = {};
  getUser = (user: string) =>
    this.call('getUser', [user], {
      id: this.userIds[user] ?? 'u',
      username: user,
      email: `${user}@example.com`,
      created_at: '',
      status: 'active' as const,
      roles: [],
      organization_ids: [],
    });
  getOrganization = (org: string) =>
    this.call('getOrganization', [org], {
      id: 'org-1',
      name: 'coder',
      display_name: 'Coder',
      is_default: true,
      created_at: '',
      updated_at: '',
    });
  getTemplateByName = (orgId: string, name: string) =>
    this.call('getTemplateByName', [orgId, name], {
      id: 'tpl-1',
      name,
      organization_id: orgId,
      organization_name: 'coder',
      active_version_id: 'v1',
      default_ttl_ms: 0,
      allow_user_autostart: true,
      allow_user_autostop: true,
      require_active_version: false,
      deprecated: false,
      created_at: '',
      updated_at: '',
    });
  getTemplateVersion = (id: string) =>
    this.call('getTemplateVersion', [id], {
      id,
      name: 'v',
      archived: false,
      job: { id: 'j', status: 'succeeded' as const, created_at: '' },
      created_at: '',
      updated_at: '',
    });
  versionsByName: Record<string, string> = { v1: '77777777-7777-4777-8777-777777777777' };
  versionParameters: TemplateVersionParameter[] = [];
  buildParameters: WorkspaceBuildParameter[] = [];
  getTemplateVersionByName = (templateId: string, name: string) =>
    this.call('getTemplateVersionByName', [templateId, name], {
      id: this.versionsByName[name] ?? `id-of-${name}`,
      name,
      template_id: templateId,
      archived: false,
      job: { id: 'j', status: 'succeeded' as const, created_at: '' },
      created_at: '',
      updated_at: '',
    });
  getTemplateVersionParameters = (versionId: string) => this.call('getTemplateVersionParameters', [versionId], this.versionParameters);
  getBuildParameters = (buildId: string) => this.call('getBuildParameters', [buildId], this.buildParameters);
  /** Presets by template version id; a version not listed has none. */
  presets: Record<string, TemplateVersionPreset[]> = {};
  getGroupByName = (orgId: string, name: string) =>
    this.call('getGroupByName', [orgId, name], {
      id: `group-${name}`,
      name,
      organization_id: orgId,
      members: [],
      total_member_count: 0,
    });
  /** What a declared call (send) answers, by `METHOD /route/{template}`, before its own decode; undefined when not listed. */
  answers: Record<string, unknown> = { 'GET /api/v2/workspaces/{workspace}/acl': { users: [], group: [] } };
  /** A declared call that fails, by `METHOD /route/{template}`. */
  sendFailures: Record<string, unknown> = {};
  send = async <Route extends string, Body, Answer>(
    call: CoderCall<Route, Body, Answer>,
    params: RouteParams<Route>,
    ...body: CallBody<Body>
  ): Promise<Answer> => {
    const key = `${call.method} ${call.route}`;
    // A version's presets come from `presets`, by the version in the route (null when it has none, as coderd sends).
    const presets =
      key === `GET ${readPresets.route}`
        ? (this.presets[(params as { templateversion?: string }).templateversion ?? ''] ?? null)
        : undefined;
    const answer = await this.call('send', [key, params, ...body], presets !== undefined ? presets : this.answers[key]);
    if (key in this.sendFailures) throw this.sendFailures[key];
    return call.decode(answer);
  };
  listWorkspaces = (opts?: { q?: string }) => this.call('listWorkspaces', [opts], this.listed);
  // Recorded as listWorkspaces: for the tests it is the same one list pass.
  forEachWorkspacePage = async (opts: { q?: string } | undefined, onPage: (workspaces: Workspace[]) => void) => {
    onPage(await this.call('listWorkspaces', [opts], this.listed));
  };
  getWorkspace = (id: string) => this.call('getWorkspace', [id], this.created);
  findWorkspace = (owner: string, name: string) => this.call('findWorkspace', [owner, name], this.found);
  createWorkspace = (owner: string, req: unknown) => this.call('createWorkspace', [owner, req], this.created);
  renameWorkspace = (id: string, name: string) => this.call('renameWorkspace', [id, name], undefined);
  setAutostart = (id: string, s: string | null) => this.call('setAutostart', [id, s], undefined);
  setTtl = (id: string, ms: number | null) => this.call('setTtl', [id, ms], undefined);
  setDormant = (id: string, d: boolean) => this.call('setDormant', [id, d], undefined as Workspace | undefined);
  setFavorite = (id: string, f: boolean) => this.call('setFavorite', [id, f, this.identity], undefined);
  setAutomaticUpdates = (id: string, v: 'always' | 'never') => this.call('setAutomaticUpdates', [id, v], undefined);
  createBuild = (id: string, req: { transition: 'start' | 'stop' | 'delete'; template_version_id?: string }) =>
    this.call('createBuild', [id, req], {
      ...this.created.latest_build,
      id: req.transition === 'delete' ? 'delete-build' : `${req.transition}-build`,
      build_number: 2,
      transition: req.transition,
      status: 'pending' as const,
      ...(req.template_version_id ? { template_version_id: req.template_version_id } : {}),
    });
  getBuild = (id: string) => this.call('getBuild', [id], { ...this.created.latest_build, id });
  tokenConfig = (user: string) => this.call('tokenConfig', [user], { max_token_lifetime: 7 * 24 * 3600 * 1e9 });
  createToken = (user: string, req: unknown) => this.call('createToken', [user, req], { key: 'abcdefghij-0123456789012345678901' });
  deleteToken = (user: string, keyId: string) => this.call('deleteToken', [user, keyId], undefined);
  listTokens = (user: string) => this.call('listTokens', [user], [] as APIKey[]);
  getToken = (user: string, keyId: string) =>
    this.call('getToken', [user, keyId], { id: keyId, token_name: 't', user_id: user, expires_at: '', created_at: '', scopes: ['all'] });
  withToken = (_token: string): CoderApi => this;
}
