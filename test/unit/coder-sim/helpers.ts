import { afterEach, expect } from 'vitest';
// Shared test plumbing: a simulator with a hand-driven clock and a tiny
// fetch wrapper that returns status, headers and the decoded body.
import { startCoderSimulator, type CoderSimulator, type SimulatorOptions } from '../../../src/coder-sim/index.ts';
import type { SimSeed } from '../../../src/coder-sim/seed.ts';
import { ON_CI } from '../../support/real-part.ts';
import { SWAGGER_HINT } from '../../support/swagger.ts';

export interface Reply {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export interface ManualClock {
  now: number;
  advance(ms: number): void;
  fn: () => number;
}

export function manualClock(start = Date.parse('2026-09-01T10:00:00.000Z')): ManualClock {
  const clock: ManualClock = {
    now: start,
    advance: (ms) => {
      clock.now += ms;
    },
    fn: () => clock.now,
  };
  return clock;
}

/** admin (site Owner), alice and bob (members), carol (member with one workspace), dave (org admin of "research"). */
export const TEST_SEED: SimSeed = {
  organizations: [{ name: 'coder', default: true }, { name: 'research' }],
  users: [
    { username: 'admin', roles: ['owner'] },
    { username: 'alice' },
    { username: 'bob' },
    { username: 'carol' },
    { username: 'dave', organizations: { coder: 'member', research: 'admin' } },
    { username: 'tess', roles: ['template-admin'] },
    { username: 'rita', organizations: { research: 'member' } },
  ],
  templates: [
    { name: 'docker', default_ttl_ms: 8 * 3600_000 },
    { name: 'kubernetes', default_ttl_ms: 0 },
    { name: 'params', parameters: [{ name: 'region' }, { name: 'cpu' }, { name: 'note', required: false }] },
    { name: 'classic', use_classic_parameter_flow: true, parameters: [{ name: 'region' }] },
    { name: 'old', deprecated: true },
    { name: 'gone', deleted: true },
    { name: 'locked', allow_user_autostop: false, default_ttl_ms: 0 },
    { name: 'gpu', organization: 'research', default_ttl_ms: 3600_000 },
  ],
  template_versions: [
    { name: 'archived', template: 'docker', archived: true },
    { name: 'importing', template: 'docker', job_status: 'running' },
    { name: 'broken', template: 'docker', job_status: 'failed' },
    { name: 'v-next', template: 'kubernetes' },
  ],
  workspaces: [{ owner: 'carol', name: 'carol-scratch', template: 'docker', ttl_ms: 4 * 3600_000 }],
};

/**
 * Every simulator a unit test starts checks its own answers against
 * swagger.json; after each test, whatever broke the contract fails it.
 */
const watched = new Set<CoderSimulator>();

afterEach(() => {
  for (const sim of watched) {
    // On CI the document must be there (test/support/real-part.ts): no check must not pass as a clean one.
    if (ON_CI) expect(sim.contractAvailable, `simulator answers not checked: ${SWAGGER_HINT}`).toBe(true);
    const violations = sim.contractViolations.splice(0);
    expect(violations, 'simulator answers that do not fit swagger.json').toEqual([]);
  }
});

/** CODER_SIM_VERSION=2.27.0 runs these tests against that Coder's differences; a test's own coderVersion wins. */
export const SIM_VERSION_FROM_ENV = process.env.CODER_SIM_VERSION ? { coderVersion: process.env.CODER_SIM_VERSION } : {};

export async function startSim(opts: SimulatorOptions = {}): Promise<CoderSimulator> {
  const sim = await startCoderSimulator({
    seed: TEST_SEED,
    rateLimitPerMinute: 0,
    validateResponses: true,
    ...SIM_VERSION_FROM_ENV,
    ...opts,
  });
  watched.add(sim);
  return sim;
}

export type Api = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<Reply>;

/** Requests as `username` (or anonymously with undefined). */
export function apiAs(sim: CoderSimulator, username: string | undefined): Api {
  const token = username === undefined ? undefined : sim.tokenFor(username);
  return (method, path, body, headers = {}) =>
    call(sim, method, path, body, { ...(token ? { 'Coder-Session-Token': token } : {}), ...headers });
}

export async function call(
  sim: CoderSimulator,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
  }
  const res = await fetch(sim.url + path, init);
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

export function idOf(sim: CoderSimulator, kind: 'template' | 'user', name: string): string {
  if (kind === 'user') return sim.state.findUser(name)!.id;
  for (const t of sim.state.templates.values()) if (t.name === name) return t.id;
  throw new Error(`no template ${name}`);
}

export function versionId(sim: CoderSimulator, name: string): string {
  for (const v of sim.state.versions.values()) if (v.name === name) return v.id;
  throw new Error(`no version ${name}`);
}

export function workspaceId(sim: CoderSimulator, owner: string, name: string): string {
  const ws = sim.state.findLiveWorkspace(sim.state.findUser(owner)!.id, name);
  if (!ws) throw new Error(`no workspace ${owner}/${name}`);
  return ws.id;
}
