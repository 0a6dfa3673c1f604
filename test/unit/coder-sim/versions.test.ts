// The coderVersion knob: `latest` keeps the recent server's behaviour, and
// `2.27.0` reproduces each difference a real coderd v2.27.0 showed
// (docs/compatibility.md). Table-driven: every row runs on both versions.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoderSimulator } from '../../../src/coder-sim/index.ts';
import { apiAs, call, idOf, startSim, TEST_SEED } from './helpers.ts';

const MINUTE_NS = 60e9;
const NARROW = ['workspace:read', 'workspace:update'];

let sim: CoderSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** A token for `owner`, minted by the site Owner, as a request function. */
async function mintFor(s: CoderSimulator, owner: string, request: Record<string, unknown>) {
  const minted = await apiAs(s, 'admin')('POST', `/api/v2/users/${owner}/keys/tokens`, {
    token_name: `t-${Math.random().toString(16).slice(2, 10)}`,
    lifetime: 10 * MINUTE_NS,
    ...request,
  });
  return minted;
}

async function asToken(s: CoderSimulator, token: string) {
  return (method: string, path: string) => call(s, method, path, undefined, { 'Coder-Session-Token': token });
}

describe('coderVersion knob', () => {
  it.each([
    { coderVersion: undefined, version: 'v2.36.1+c9a1e2b' },
    { coderVersion: 'latest', version: 'v2.36.1+c9a1e2b' },
    { coderVersion: '2.27.0', version: 'v2.27.0' },
    { coderVersion: 'v2.27.0', version: 'v2.27.0' },
    { coderVersion: '2.24.0', version: 'v2.24.0' },
    { coderVersion: '2.30.0', version: 'v2.30.0' },
  ])('$coderVersion: buildinfo and X-Coder-Build-Version say $version', async ({ coderVersion, version }) => {
    sim = await startSim(coderVersion === undefined ? {} : { coderVersion });
    const info = await call(sim, 'GET', '/api/v2/buildinfo');
    expect(info.body.version).toBe(version);
    expect(info.headers.get('x-coder-build-version')).toBe(version);
  });

  it('refuses an unknown version before starting, naming the known ones', async () => {
    await expect(startSim({ coderVersion: '1.0.0' })).rejects.toThrow(
      /unknown coderVersion "1.0.0"; known: latest, 2.30.0, 2.27.0, 2.24.0/,
    );
  });

  it('reads coder_version from the seed; the option wins over it', async () => {
    sim = await startSim({ seed: { ...TEST_SEED, coder_version: '2.27.0' } });
    expect(sim.coderVersion).toBe('2.27.0');
    await sim.close();
    sim = await startSim({ seed: { ...TEST_SEED, coder_version: '2.27.0' }, coderVersion: 'latest' });
    expect(sim.coderVersion).toBe('latest');
  });

  it('the standalone simulator takes --coder-version and reports it', async () => {
    const child = spawn(process.execPath, ['src/coder-sim/main.ts', '--coder-version', '2.27.0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [first] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
      const { url, coderVersion } = JSON.parse(first) as { url: string; coderVersion: string };
      expect(coderVersion).toBe('2.27.0');
      expect(((await (await fetch(`${url}/api/v2/buildinfo`)).json()) as { version: string }).version).toBe('v2.27.0');
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});

describe('token scopes by version', () => {
  // 2.27.0 and 2.30.0: what the real coderd of that version answered (test/coderd/sim-parity.test.ts):
  // the status, and for a 201 the scopes the key records, or for a refusal its detail.
  type Seen = [201, string[]] | [400 | 500, string];
  const rows: { request: Record<string, unknown>; latest: number; v2_27: Seen; v2_30: Seen }[] = [
    {
      request: { scopes: [...NARROW, 'workspace_dormant:read', 'workspace_dormant:update'] },
      latest: 201,
      v2_27: [400, 'invalid or unsupported API key scope: "workspace_dormant:read"'],
      v2_30: [400, 'invalid or unsupported API key scope: "workspace_dormant:read"'],
    },
    { request: { scopes: NARROW }, latest: 201, v2_27: [201, NARROW], v2_30: [201, NARROW] },
    { request: { scopes: ['coder:all'] }, latest: 201, v2_27: [201, ['coder:all']], v2_30: [201, ['coder:all']] },
    { request: { scope: 'all' }, latest: 201, v2_27: [201, ['coder:all']], v2_30: [201, ['coder:all']] },
    { request: {}, latest: 201, v2_27: [201, ['coder:all']], v2_30: [201, ['coder:all']] },
    {
      request: { scopes: ['all'] },
      latest: 201,
      v2_27: [500, 'generate API key: invalid API key scope: "all"'],
      v2_30: [500, 'generate API key: invalid API key scope: "all"'],
    },
    {
      request: { scopes: ['workspace:*'] },
      latest: 201,
      v2_27: [500, 'generate API key: invalid API key scope: "workspace:*"'],
      v2_30: [201, ['workspace:*']],
    },
    {
      request: { scopes: ['coder:workspaces.operate'] },
      latest: 201,
      v2_27: [201, ['coder:workspaces.operate']],
      v2_30: [201, ['coder:workspaces.operate']],
    },
    {
      request: { scopes: ['user:read'] },
      latest: 201,
      v2_27: [400, 'invalid or unsupported API key scope: "user:read"'],
      v2_30: [400, 'invalid or unsupported API key scope: "user:read"'],
    },
    { request: { scope: 'workspace:read' }, latest: 201, v2_27: [201, ['workspace:read']], v2_30: [201, ['workspace:read']] },
    // A list wins: the single field is neither checked nor recorded.
    {
      request: { scopes: ['coder:all'], scope: 'not a scope' },
      latest: 201,
      v2_27: [201, ['coder:all']],
      v2_30: [201, ['coder:all']],
    },
    {
      request: { scopes: ['not a scope'] },
      latest: 400,
      v2_27: [400, 'invalid or unsupported API key scope: "not a scope"'],
      v2_30: [400, 'invalid or unsupported API key scope: "not a scope"'],
    },
  ];

  it.each(rows)('latest: $request', async (row) => {
    sim = await startSim({ coderVersion: 'latest' });
    const res = await mintFor(sim, 'alice', row.request);
    expect(res.status).toBe(row.latest);
    if (res.status === 400) expect(res.body.message).toBe('Failed to create API key.');
  });

  for (const version of ['2.27.0', '2.30.0'] as const) {
    it.each(rows)(`${version}: $request`, async (row) => {
      sim = await startSim({ coderVersion: version });
      const res = await mintFor(sim, 'alice', row.request);
      const [status, seen] = version === '2.27.0' ? row.v2_27 : row.v2_30;
      expect(res.status).toBe(status);
      if (status !== 201) {
        expect(res.body).toMatchObject({ message: 'Failed to create API key.', detail: seen });
        return;
      }
      const id = (res.body.key as string).split('-')[0];
      expect((await apiAs(sim, 'admin')('GET', `/api/v2/users/alice/keys/${id}`)).body.scopes).toEqual(seen);
    });
  }
});

describe('v2.24.0: one scope per key', () => {
  it.each([
    { request: { scopes: [...NARROW, 'workspace_dormant:read'] }, status: 201, scope: 'all' },
    { request: { scopes: NARROW }, status: 201, scope: 'all' },
    { request: { scope: 'all' }, status: 201, scope: 'all' },
    { request: { scope: 'application_connect' }, status: 201, scope: 'application_connect' },
    // Checked only when the key is generated (coderd/apikey/apikey.go of v2.24.0).
    { request: { scope: 'coder:all' }, status: 500, scope: undefined },
  ])('$request: $status, key scope $scope', async ({ request, status, scope }) => {
    sim = await startSim({ coderVersion: '2.24.0' });
    const res = await mintFor(sim, 'alice', request);
    expect(res.status).toBe(status);
    if (status !== 201) return;
    const keys = await apiAs(sim, 'admin')('GET', '/api/v2/users/alice/keys/tokens');
    const key = (keys.body as Record<string, unknown>[]).at(-1)!;
    // Its key JSON has the single `scope` field, and no `scopes` list.
    expect(key.scope).toBe(scope);
    expect(key).not.toHaveProperty('scopes');
  });
});

describe('what a narrowly scoped owner token may do', () => {
  // Each case: one owner token, then one request as the owner; the status per version.
  const cases: {
    what: string;
    scopes: Record<string, unknown>;
    latest: number;
    v2_27: number;
    check: 'list' | 'get' | 'favorite' | 'favorite-dormant';
  }[] = [
    { what: 'list own workspaces', scopes: { scopes: NARROW }, check: 'list', latest: 2, v2_27: 0 },
    { what: 'GET a workspace by id', scopes: { scopes: NARROW }, check: 'get', latest: 200, v2_27: 403 },
    { what: 'favorite a workspace', scopes: { scopes: NARROW }, check: 'favorite', latest: 204, v2_27: 204 },
    { what: 'favorite a dormant workspace', scopes: { scopes: NARROW }, check: 'favorite-dormant', latest: 204, v2_27: 404 },
    { what: 'list with coder:all', scopes: { scopes: ['coder:all'] }, check: 'list', latest: 2, v2_27: 2 },
    { what: 'GET with coder:all', scopes: { scopes: ['coder:all'] }, check: 'get', latest: 200, v2_27: 200 },
    {
      what: 'favorite a dormant workspace with coder:all',
      scopes: { scopes: ['coder:all'] },
      check: 'favorite-dormant',
      latest: 204,
      v2_27: 204,
    },
    { what: 'favorite a dormant workspace with scope=all', scopes: { scope: 'all' }, check: 'favorite-dormant', latest: 204, v2_27: 204 },
  ];
  // A real coderd v2.30.0 answered each of these as v2.27.0 did (test/coderd/sim-parity.test.ts).
  for (const version of ['latest', '2.27.0', '2.30.0'] as const) {
    it.each(cases)(`${version}: $what`, async (c) => {
      sim = await startSim({ coderVersion: version });
      const alice = apiAs(sim, 'alice');
      const template_id = idOf(sim, 'template', 'docker');
      const awake = (await alice('POST', '/api/v2/users/alice/workspaces', { name: 'awake', template_id })).body.id as string;
      const sleepy = (await alice('POST', '/api/v2/users/alice/workspaces', { name: 'sleepy', template_id })).body.id as string;
      expect((await apiAs(sim, 'admin')('PUT', `/api/v2/workspaces/${sleepy}/dormant`, { dormant: true })).status).toBe(200);
      const minted = await mintFor(sim, 'alice', c.scopes);
      expect(minted.status).toBe(201);
      const asAlice = await asToken(sim, minted.body.key as string);
      const expected = version === 'latest' ? c.latest : c.v2_27;
      switch (c.check) {
        case 'list': {
          const res = await asAlice('GET', '/api/v2/workspaces?q=owner:alice');
          expect(res.status).toBe(200);
          expect(res.body.count).toBe(2); // counted either way
          expect(res.body.workspaces).toHaveLength(expected);
          break;
        }
        case 'get':
          expect((await asAlice('GET', `/api/v2/workspaces/${awake}`)).status).toBe(expected);
          break;
        case 'favorite':
          expect((await asAlice('PUT', `/api/v2/workspaces/${awake}/favorite`)).status).toBe(expected);
          break;
        case 'favorite-dormant':
          expect((await asAlice('PUT', `/api/v2/workspaces/${sleepy}/favorite`)).status).toBe(expected);
          break;
      }
    });
  }

  it('a session token (scope all) is never narrowed on 2.27.0', async () => {
    sim = await startSim({ coderVersion: '2.27.0' });
    const alice = apiAs(sim, 'alice');
    await alice('POST', '/api/v2/users/alice/workspaces', { name: 'mine', template_id: idOf(sim, 'template', 'docker') });
    expect((await alice('GET', '/api/v2/workspaces?q=owner:alice')).body.workspaces).toHaveLength(1);
  });
});

describe('other differences', () => {
  it.each([
    { version: 'latest', status: 404 },
    { version: '2.27.0', status: 400 },
    { version: '2.30.0', status: 400 },
  ])('$version: POST /users/{user}/workspaces for an unknown user answers $status', async ({ version, status }) => {
    sim = await startSim({ coderVersion: version });
    const res = await apiAs(sim, 'admin')('POST', '/api/v2/users/nobody/workspaces', {
      name: 'x',
      template_id: idOf(sim, 'template', 'docker'),
    });
    expect(res.status).toBe(status);
    if (status === 400) expect(res.body.message).toBe('"user" must be an existing uuid or username.');
  });

  it.each([
    { version: 'latest', ttl: 0 },
    { version: '2.27.0', ttl: undefined },
  ])('$version: a workspace with auto-stop off on a template that locks autostop shows ttl_ms $ttl', async ({ version, ttl }) => {
    sim = await startSim({ coderVersion: version });
    const alice = apiAs(sim, 'alice');
    const ws = await alice('POST', '/api/v2/users/alice/workspaces', { name: 'locked', template_id: idOf(sim, 'template', 'locked') });
    expect(ws.status).toBe(201);
    const read = await alice('GET', `/api/v2/workspaces/${ws.body.id}`);
    expect(read.body.ttl_ms).toBe(ttl);
    expect('ttl_ms' in read.body).toBe(ttl !== undefined);
  });

  it.each([
    { version: 'latest', status: 201, stillDormant: false },
    { version: '2.30.0', status: 201, stillDormant: false },
    { version: '2.27.0', status: 403, stillDormant: true },
    { version: '2.24.0', status: 403, stillDormant: true },
  ])(
    '$version: a start build on a dormant workspace answers $status; still dormant: $stillDormant',
    async ({ version, status, stillDormant }) => {
      sim = await startSim({ coderVersion: version, buildDurationMs: 0 });
      const admin = apiAs(sim, 'admin');
      const ws = await admin('POST', '/api/v2/users/alice/workspaces', { name: 'sleepy', template_id: idOf(sim, 'template', 'docker') });
      expect((await admin('POST', `/api/v2/workspaces/${ws.body.id}/builds`, { transition: 'stop' })).status).toBe(201);
      expect((await admin('PUT', `/api/v2/workspaces/${ws.body.id}/dormant`, { dormant: true })).status).toBe(200);
      expect((await admin('POST', `/api/v2/workspaces/${ws.body.id}/builds`, { transition: 'start' })).status).toBe(status);
      const read = await admin('GET', `/api/v2/workspaces/${ws.body.id}`);
      expect(read.body.dormant_at != null).toBe(stillDormant);
    },
  );

  it.each(['latest', '2.27.0'])('%s: auto-stop off on an ordinary template leaves ttl_ms out', async (version) => {
    sim = await startSim({ coderVersion: version });
    const alice = apiAs(sim, 'alice');
    const ws = await alice('POST', '/api/v2/users/alice/workspaces', { name: 'plain', template_id: idOf(sim, 'template', 'kubernetes') });
    expect('ttl_ms' in (await alice('GET', `/api/v2/workspaces/${ws.body.id}`)).body).toBe(false);
  });
});
