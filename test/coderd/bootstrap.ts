// Brings a fresh coderd to where the tests start: the first user (site
// Owner), its session token, members of the default organization, and
// templates whose archives echotar writes for the echo provisioner. Only the
// public API is used, as a platform team's own setup would.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CoderApi } from './coder-api.ts';
import { eventually, GiveUp } from '../support/eventually.ts';

const run = promisify(execFile);
const PASSWORD = 'cwo-Test-passw0rd-7f3k2';

export interface Bootstrapped {
  admin: CoderApi;
  adminId: string;
  orgId: string;
}

export async function bootstrapCoderd(url: string): Promise<Bootstrapped> {
  const anonymous = new CoderApi(url, '');
  const first = await anonymous.request('POST', '/api/v2/users/first', {
    email: 'admin@example.com',
    username: 'admin',
    name: 'Admin',
    password: PASSWORD,
    trial: false,
  });
  const login = await anonymous.request('POST', '/api/v2/users/login', { email: 'admin@example.com', password: PASSWORD });
  return { admin: new CoderApi(url, login.session_token), adminId: first.user_id, orgId: first.organization_id };
}

/** A password user in the default organization; returns its id. */
export async function createUser(b: Bootstrapped, username: string): Promise<string> {
  const user = await b.admin.request('POST', '/api/v2/users', {
    email: `${username}@example.com`,
    username,
    password: PASSWORD,
    login_type: 'password',
    organization_ids: [b.orgId],
  });
  return user.id;
}

/** A session for a user (as if they logged in), e.g. to act as the owner. */
export async function loginAs(url: string, username: string): Promise<CoderApi> {
  const anonymous = new CoderApi(url, '');
  const login = await anonymous.request('POST', '/api/v2/users/login', { email: `${username}@example.com`, password: PASSWORD });
  return new CoderApi(url, login.session_token);
}

export interface TemplateParameter {
  name: string;
  type?: 'string' | 'number' | 'bool';
  default?: string;
  mutable?: boolean;
  ephemeral?: boolean;
  required?: boolean;
}

export interface TemplateSpec {
  parameters?: TemplateParameter[];
  /** coder_workspace_preset blocks: name and the parameter values each sets. */
  presets?: { name: string; parameters: Record<string, string>; default?: boolean }[];
  failApply?: boolean;
}

/** Uploads an echo archive and imports it as a template version; waits for the import job. */
export async function createTemplateVersion(
  b: Bootstrapped,
  echotar: string,
  spec: TemplateSpec,
  opts: { templateId?: string; name?: string } = {},
): Promise<any> {
  const child = run(echotar, [], { encoding: 'buffer', maxBuffer: 16 << 20 });
  child.child.stdin!.end(JSON.stringify(spec));
  const { stdout } = await child;
  const file = await b.admin.request('POST', '/api/v2/files', new Uint8Array(stdout), { 'Content-Type': 'application/x-tar' });
  const version = await b.admin.request('POST', `/api/v2/organizations/${b.orgId}/templateversions`, {
    storage_method: 'file',
    file_id: file.hash,
    provisioner: 'echo',
    ...(opts.templateId ? { template_id: opts.templateId } : {}),
    ...(opts.name ? { name: opts.name } : {}),
  });
  return eventually(
    `template version ${version.id} to import`,
    async () => {
      const v = await b.admin.get(`/api/v2/templateversions/${version.id}`);
      if (['failed', 'canceled'].includes(v.job.status)) throw new GiveUp(`template version import ${v.job.status}: ${v.job.error}`);
      if (v.job.status !== 'succeeded') throw new Error(`template version import still ${v.job.status}`);
      return v;
    },
    60_000,
    { everyMs: 200 },
  );
}

export async function createTemplate(
  b: Bootstrapped,
  echotar: string,
  name: string,
  spec: TemplateSpec = {},
  settings: Record<string, unknown> = {},
): Promise<any> {
  const version = await createTemplateVersion(b, echotar, spec);
  return b.admin.request('POST', `/api/v2/organizations/${b.orgId}/templates`, {
    name,
    template_version_id: version.id,
    ...settings,
  });
}
