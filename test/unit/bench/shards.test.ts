// The shards benchmark's pure parts: who wrote which Workspace, read from an
// audit log; a shard's Coder calls from its /metrics text (route labels hold
// braces); and CPU between two sampler snapshots.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { usageBetween } from '../../../bench/proc-sampler.ts';
import { attribute, readWriters } from '../../../bench/shard-audit.ts';
import { coderCallsFrom, readsAndWrites } from '../../../bench/shard-probes.ts';

const A = 'system:serviceaccount:cwo-system:bench-shard0';
const B = 'system:serviceaccount:cwo-system:bench-shard1';

function event(user: string, name: string, code = 200, stage = 'ResponseComplete', at = '2026-12-01T10:00:00.000000Z'): string {
  return JSON.stringify({
    kind: 'Event',
    stage,
    verb: 'patch',
    user: { username: user },
    objectRef: { resource: 'workspaces', subresource: 'status', namespace: 'bench', name },
    responseStatus: { code },
    stageTimestamp: at,
  });
}

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('audit attribution', () => {
  it('names the Workspaces written by two shards, by the wrong one, and by none', async () => {
    dir = await mkdtemp(join(tmpdir(), 'cwo-audit-test-'));
    const lines = [
      event(A, 'ws-0', 200, 'ResponseComplete', '2026-12-01T10:00:01.000000Z'),
      event(B, 'ws-1', 200, 'ResponseComplete', '2026-12-01T10:00:02.500000Z'),
      event(A, 'ws-2'),
      event(B, 'ws-2'), // a second shard wrote ws-2
      event(A, 'ws-3', 409), // refused: not a write
      event(A, 'ws-3', 200, 'ResponseStarted'), // not the completed stage
    ];
    await writeFile(join(dir, 'audit.log'), `${lines.join('\n')}\n`);
    // A rotated file is read as well.
    await writeFile(join(dir, 'audit-2026-12-01T10-00-03.000.log'), `${event(B, 'ws-1')}\n`);
    const log = await readWriters(dir);
    expect(log.refused.get(A)).toBe(1);
    expect(log.writes.get(B)).toBe(3);
    // Microsecond timestamps, as the apiserver writes them.
    expect(log.span.get(B)).toEqual({ first: Date.parse('2026-12-01T10:00:00Z'), last: Date.parse('2026-12-01T10:00:02.5Z') });

    const owner = (name: string) => (Number(name.slice(3)) % 2 === 0 ? A : B);
    const a = attribute(log, ['ws-0', 'ws-1', 'ws-2', 'ws-3'], owner);
    expect(a.doubles).toEqual(['ws-2']);
    expect(a.unwritten).toBe(1);
    expect(a.byUser.get(A)).toEqual({ written: 2, notItsOwn: 0 });
    expect(a.byUser.get(B)).toEqual({ written: 2, notItsOwn: 1 });
  });
});

describe("a shard's Coder calls from /metrics", () => {
  it('sums codes per method and route, route templates with braces included', () => {
    const text = [
      '# HELP cwo_coder_requests_total Coder API requests',
      'cwo_coder_requests_total{method="GET",route="/api/v2/workspaces",code="200"} 4',
      'cwo_coder_requests_total{method="GET",route="/api/v2/users/{user}",code="200"} 1',
      'cwo_coder_requests_total{method="GET",route="/api/v2/users/{user}",code="0"} 2',
      'cwo_coder_requests_total{method="PUT",route="/api/v2/workspaces/{workspace}/ttl",code="204"} 3',
      'cwo_coder_requests_totally_else{method="GET",route="/x",code="200"} 9',
    ].join('\n');
    const calls = coderCallsFrom(text);
    expect(Object.fromEntries(calls)).toEqual({
      'GET /api/v2/workspaces': 4,
      'GET /api/v2/users/{user}': 3,
      'PUT /api/v2/workspaces/{workspace}/ttl': 3,
    });
    expect(readsAndWrites(Object.fromEntries(calls))).toEqual({ reads: 7, writes: 3 });
  });
});

describe('usageBetween', () => {
  it('gives CPU per name and the busy cores of the machine', () => {
    const a = { at: 1000, cpuMs: new Map([['apiserver', 500]]), machineBusyMs: 10_000 };
    const b = {
      at: 3000,
      cpuMs: new Map([
        ['apiserver', 1500],
        ['etcd', 100],
      ]),
      machineBusyMs: 13_000,
    };
    const u = usageBetween(a, b);
    expect(Object.fromEntries(u.cpuMs)).toEqual({ apiserver: 1000, etcd: 100 });
    expect(u.wallMs).toBe(2000);
    expect(u.machineCores).toBe(1.5);
  });
});
