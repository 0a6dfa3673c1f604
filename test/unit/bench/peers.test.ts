// The bench's pure helpers for the peer comparisons: route templates of the
// recording proxy's paths, call tallies, ratios, per-hour scaling, the
// plan-scale layout and the "peers side by side" section of latest.md.
import { describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../../../bench/cli-mode.ts';
import { declaredTtl, planScaleLayout } from '../../../bench/plan-scale-mode.ts';
import { passesPerHour, perHour, ratio, routeTemplate, tallyCalls } from '../../../bench/peers.ts';
import { renderPeers } from '../../../bench/peers-report.ts';

const ID = '3f2b7c1e-9a4d-4e0f-8b6a-1c2d3e4f5a6b';
const ID2 = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

describe('routeTemplate', () => {
  it.each([
    [`/api/v2/workspaces/${ID}/ttl`, '/api/v2/workspaces/{id}/ttl'],
    ['/api/v2/users/peer3/workspace/cli-7', '/api/v2/users/{user}/workspace/{workspace}'],
    ['/api/v2/users/peer3/workspaces', '/api/v2/users/{user}/workspaces'],
    ['/api/v2/users/me', '/api/v2/users/me'],
    ['/api/v2/users/login', '/api/v2/users/login'],
    ['/api/v2/organizations/default', '/api/v2/organizations/default'],
    [`/api/v2/organizations/${ID}/templates/docker`, '/api/v2/organizations/{id}/templates/{template}'],
    [`/api/v2/templateversions/${ID}/dry-run/${ID2}/logs`, '/api/v2/templateversions/{id}/dry-run/{id}/logs'],
    ['/api/v2/workspaces?limit=2000&offset=0', '/api/v2/workspaces'],
    ['/api/v2/templates', '/api/v2/templates'],
  ])('%s → %s', (path, route) => {
    expect(routeTemplate(path)).toBe(route);
  });
});

describe('tallyCalls', () => {
  it('counts reads and writes and groups by method and route', () => {
    const t = tallyCalls([
      { method: 'GET', path: '/api/v2/users/a/workspace/x' },
      { method: 'GET', path: '/api/v2/users/b/workspace/y' },
      { method: 'PUT', path: `/api/v2/workspaces/${ID}/ttl` },
      { method: 'PUT', path: `/api/v2/workspaces/${ID2}/ttl` },
      { method: 'POST', path: '/api/v2/users/a/workspaces' },
      { method: 'HEAD', path: '/api/v2/buildinfo' },
    ]);
    expect(t).toEqual({
      total: 6,
      reads: 3,
      writes: 3,
      byRoute: {
        'GET /api/v2/users/{user}/workspace/{workspace}': 2,
        'PUT /api/v2/workspaces/{id}/ttl': 2,
        'POST /api/v2/users/{user}/workspaces': 1,
        'HEAD /api/v2/buildinfo': 1,
      },
    });
  });

  it('is all zero for no calls', () => {
    expect(tallyCalls([])).toEqual({ total: 0, reads: 0, writes: 0, byRoute: {} });
  });
});

describe('ratio, perHour, passesPerHour', () => {
  it.each([
    [12_500, 1_800, 6.9],
    [640, 245, 2.6],
    [100, 100, 1],
    [1, 3, 0.3],
  ])('ratio(%d, %d) = %d', (theirs, ours, expected) => {
    expect(ratio(theirs, ours)).toBe(expected);
  });

  it('has no ratio against nothing', () => {
    expect(ratio(5, 0)).toBeNaN();
    expect(ratio(5, Number.NaN)).toBeNaN();
  });

  it('scales a window to an hour and counts periodic passes', () => {
    expect(perHour(10, 60_000)).toBe(600);
    expect(perHour(3, 7_200_000)).toBe(1.5);
    expect(passesPerHour(60_000)).toBe(60);
    expect(passesPerHour(600_000)).toBe(6);
    expect(() => perHour(1, 0)).toThrow(RangeError);
  });
});

describe('planScaleLayout and declaredTtl', () => {
  it('declares 0.5 % missing and 1 % of the rest with another TTL', () => {
    expect(planScaleLayout(100_000)).toEqual({ existing: 99_500, drifted: 995, missing: 500 });
    expect(planScaleLayout(1_000)).toEqual({ existing: 995, drifted: 9, missing: 5 });
  });

  it('the drifted count is exactly the declarations declaredTtl changes', () => {
    const docs = 10_000;
    const { existing, drifted } = planScaleLayout(docs);
    let changed = 0;
    for (let i = 0; i < docs; i += 1) if (declaredTtl(i, existing) !== '8h') changed += 1;
    expect(changed).toBe(drifted);
    // The missing ones (after the seed) are declared with the seed's TTL: they are creates, not changes.
    expect(declaredTtl(existing + 99, existing)).toBe('8h');
  });
});

const row = (scenario: string, fields: Partial<ScenarioResult>): ScenarioResult => ({
  mode: 'peers',
  scenario,
  n: 40,
  latencyMs: 0,
  ok: true,
  extra: {},
  notes: [],
  ...fields,
});

describe('renderPeers', () => {
  it('sets the coder CLI loop against one cwo apply, with ratios', () => {
    const text = renderPeers([
      row('creates: coder CLI loop', { wallMs: 12_500, reads: 560, writes: 80 }),
      row('creates: one cwo apply', { wallMs: 2_500, reads: 205, writes: 40, extra: { allBuildsEndedMs: 3_000 } }),
      row('ttl: coder CLI loop', { wallMs: 5_000, reads: 80, writes: 40, ok: false }),
      row('ttl: one cwo apply', { wallMs: 1_000, reads: 43, writes: 40 }),
    ]).join('\n');
    expect(text).toContain('## Peers side by side');
    expect(text).toContain('| creates | 40 | 12.50 | 640 (560/80) | 2.50 (all builds ended 3.00) | 245 (205/40) | 5.0× | 2.6× | yes |');
    expect(text).toContain('| TTL changes | 40 | 5.00 | 120 (80/40) | 1.00 | 83 (43/40) | 5.0× | 1.4× | **no** |');
  });

  it('sets a coder update loop against one cwo apply rollout, with builds per workspace', () => {
    const text = renderPeers([
      row('rollout: coder CLI loop', { n: 50, wallMs: 200_000, reads: 3_000, writes: 100, extra: { buildsPerWorkspace: 2 } }),
      row('rollout: one cwo apply', { n: 50, wallMs: 25_000, reads: 600, writes: 100, extra: { buildsPerWorkspace: 2 } }),
    ]).join('\n');
    expect(text).toContain(
      '| rollout to a promoted version (builds per workspace: 2.0 vs 2.0) | 50 | 200.00 | 3100 (3000/100) | 25.00 | 700 (600/100) | 8.0× | 4.4× | yes |',
    );
  });

  it('lists the polling rows with calls and CPU per hour', () => {
    const text = renderPeers([
      row('per-resource poll every 1m', { n: 1000, extra: { callsPerHour: 60_000, clientCpuSPerHour: 24.3, serverCpuSPerHour: 11.5 } }),
      row('list resync every 1m (same freshness)', {
        n: 1000,
        extra: { callsPerHour: 60, clientCpuSPerHour: 1, serverCpuSPerHour: 1.5, callRatio: 1000, cpuRatio: 14.3 },
      }),
      row('operator resync every 10m (measured)', {
        n: 1000,
        extra: { callsPerHour: 6, clientCpuSPerHour: 0.48, callRatio: 10_000, clientCpuRatio: 50.6 },
      }),
    ]).join('\n');
    expect(text).toContain('| 1000 | per-resource poll every 1m | 60000 | 24.30 | 11.50 | — | — |');
    expect(text).toContain('| 1000 | list resync every 1m (same freshness) | 60 | 1.00 | 1.50 | 1000.0× | 14.3× |');
    expect(text).toContain('| 1000 | operator resync every 10m (measured) | 6 | 0.48 | not measured | 10000.0× | 50.6× (client only) |');
  });

  it('adds nothing when no peers mode ran', () => {
    expect(renderPeers([{ ...row('idle', {}), mode: 'cli' }])).toEqual([]);
  });
});
