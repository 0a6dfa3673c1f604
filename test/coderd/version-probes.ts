// The probes sim-parity.test.ts sends to a real coderd and to the simulator
// playing the same version: plain fetch, the rate-limit bypass header, and
// nothing from the product, so what they record is what the server answered.
import { eventually } from '../support/eventually.ts';
import { uniqueName } from './cli-harness.ts';

const MINUTE_NS = 60e9;
export const OWNER = 'ann';
const NARROW = ['workspace:read', 'workspace:update'];
const DORMANT = ['workspace_dormant:read', 'workspace_dormant:update'];

/** Token requests, as the owner-token ladder and its neighbours send them. */
const SCOPE_REQUESTS: Record<string, unknown>[] = [
  { scopes: [...NARROW, ...DORMANT] },
  { scopes: NARROW },
  { scopes: ['coder:all'] },
  { scope: 'all' },
  { scopes: ['all'] },
  { scopes: ['workspace:*'] },
  { scopes: ['coder:workspaces.operate'] },
  { scopes: ['user:read'] },
  { scope: 'workspace:read' },
  { scopes: ['not a scope'] },
];

/** What an owner token of these scopes may do with the owner's own workspaces. */
const ACCESS_TOKENS: Record<string, unknown>[] = [{ scopes: NARROW }, { scopes: ['coder:all'] }, { scope: 'all' }];

interface Reply {
  status: number;
  body: any;
}

export type Send = (method: string, path: string, body?: unknown, token?: string) => Promise<Reply>;

export function sender(url: string, adminToken: string): Send {
  return async (method, path, body, token = adminToken) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        'Coder-Session-Token': token,
        // Probes must not eat into (or be refused by) the product's rate budget.
        'X-Coder-Bypass-Ratelimit': 'true',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {}
    return { status: res.status, body: parsed };
  };
}

async function settled(send: Send, id: string): Promise<void> {
  await eventually(
    `workspace ${id}'s build to end`,
    async () => {
      const ws = (await send('GET', `/api/v2/workspaces/${id}`)).body;
      return !['pending', 'starting', 'stopping', 'canceling'].includes(ws?.latest_build?.status);
    },
    60_000,
    { everyMs: 100 },
  );
}

/** Mints an owner token; returns the status, and for a 201 the key and what Coder recorded as its scopes. */
async function mint(send: Send, request: Record<string, unknown>) {
  const made = await send('POST', `/api/v2/users/${OWNER}/keys/tokens`, {
    token_name: uniqueName('parity'),
    lifetime: 10 * MINUTE_NS,
    ...request,
  });
  if (made.status !== 201) return { status: made.status, detail: made.body?.detail };
  const key = made.body.key as string;
  const id = key.split('-')[0]!;
  const read = (await send('GET', `/api/v2/users/${OWNER}/keys/${id}`)).body;
  const granted = [...(read.scopes ?? [read.scope])].sort();
  return { status: 201, key, id, granted };
}

/** Every probe, against one server (real or simulated) that has OWNER and a template. */
export async function probe(send: Send, templateId: string) {
  const info = (await send('GET', '/api/v2/buildinfo')).body;

  const scopes: unknown[] = [];
  for (const request of SCOPE_REQUESTS) {
    const minted = await mint(send, request);
    if (minted.status === 201) await send('DELETE', `/api/v2/users/${OWNER}/keys/${minted.id}`);
    scopes.push({ request, status: minted.status, granted: minted.granted, detail: minted.detail });
  }

  const prefix = uniqueName('parity');
  const awake = (await send('POST', `/api/v2/users/${OWNER}/workspaces`, { name: `${prefix}-a`, template_id: templateId })).body.id;
  const sleepy = (await send('POST', `/api/v2/users/${OWNER}/workspaces`, { name: `${prefix}-d`, template_id: templateId })).body.id;
  await settled(send, awake);
  await settled(send, sleepy);
  const dormant = await send('PUT', `/api/v2/workspaces/${sleepy}/dormant`, { dormant: true });

  const access: unknown[] = [];
  for (const request of ACCESS_TOKENS) {
    const minted = await mint(send, request);
    if (minted.status !== 201) {
      access.push({ request, mint: minted.status });
      continue;
    }
    const list = await send('GET', `/api/v2/workspaces?q=${encodeURIComponent(`owner:${OWNER} name:${prefix}`)}`, undefined, minted.key);
    access.push({
      request,
      listStatus: list.status,
      counted: list.body?.count,
      listed: list.body?.workspaces?.length,
      get: (await send('GET', `/api/v2/workspaces/${awake}`, undefined, minted.key)).status,
      favorite: (await send('PUT', `/api/v2/workspaces/${awake}/favorite`, undefined, minted.key)).status,
      favoriteDormant: (await send('PUT', `/api/v2/workspaces/${sleepy}/favorite`, undefined, minted.key)).status,
    });
    await send('DELETE', `/api/v2/users/${OWNER}/keys/${minted.id}`);
  }

  // A start build on a dormant (stopped) workspace, as the site Owner: is it still dormant afterwards?
  await send('POST', `/api/v2/workspaces/${sleepy}/builds`, { transition: 'stop' });
  await settled(send, sleepy);
  const start = await send('POST', `/api/v2/workspaces/${sleepy}/builds`, { transition: 'start' });
  await settled(send, sleepy);
  const afterStart = (await send('GET', `/api/v2/workspaces/${sleepy}`)).body;

  // Workspace sharing (absent, or behind the experiment) and presets, as a template without any shows them.
  const acl = await send('GET', `/api/v2/workspaces/${awake}/acl`);
  const versionId = (await send('GET', `/api/v2/workspaces/${awake}`)).body.latest_build.template_version_id;
  const presets = await send('GET', `/api/v2/templateversions/${versionId}/presets`);

  const unknownOwner = await send('POST', `/api/v2/users/${uniqueName('nobody')}/workspaces`, {
    name: `${prefix}-x`,
    template_id: templateId,
  });
  return {
    buildVersion: info.version,
    scopes,
    dormant: dormant.status,
    access,
    startOnDormant: { status: start.status, stillDormant: afterStart.dormant_at != null },
    unknownOwner: { status: unknownOwner.status, message: unknownOwner.body?.message },
    sharing: { status: acl.status, message: acl.body?.message, users: acl.body?.users, group: acl.body?.group },
    presets: { status: presets.status, body: presets.body },
  };
}
