import { Agent, get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoderSimulator } from '../../../src/coder-sim/index.ts';
import { FaultInjector } from '../../../src/coder-sim/faults.ts';
import { eventually } from '../../support/eventually.ts';
import { apiAs, idOf, manualClock, startSim, type Api } from './helpers.ts';

describe('FaultInjector', () => {
  it('replays the same sequence for the same seed', () => {
    const opts = { seed: 42, errorRate: 0.3, dropRate: 0.2, errorAfterCommitRate: 0.1 };
    const a = new FaultInjector(opts);
    const b = new FaultInjector(opts);
    const seqA = Array.from({ length: 50 }, () => a.plan());
    const seqB = Array.from({ length: 50 }, () => b.plan());
    expect(seqA).toEqual(seqB);
    expect(seqA.some((p) => p.before === 'error')).toBe(true);
    expect(seqA.some((p) => p.before === 'drop')).toBe(true);
    expect(seqA.some((p) => p.before === 'none')).toBe(true);
  });

  it('stalls are drawn last: adding them keeps the other faults of a seed', () => {
    const base = { seed: 7, errorRate: 0.2, dropRate: 0.2 };
    const a = new FaultInjector(base);
    const b = new FaultInjector({ ...base, stallRate: 0.5, stallMs: 1234 });
    const seqA = Array.from({ length: 40 }, () => a.plan());
    const seqB = Array.from({ length: 40 }, () => b.plan());
    expect(seqB.map((p) => p.before)).toEqual(seqA.map((p) => p.before));
    expect(seqB.some((p) => p.stallMs === 1234)).toBe(true);
    expect(seqA.every((p) => p.stallMs === 0)).toBe(true);
  });

  it('answers 429 bursts on a fixed rhythm', () => {
    const f = new FaultInjector({ rateLimitBurst: { every: 3, length: 2 } });
    expect(Array.from({ length: 10 }, () => f.plan().before)).toEqual([
      'none',
      'none',
      'none',
      'burst429',
      'burst429',
      'none',
      'none',
      'none',
      'burst429',
      'burst429',
    ]);
  });
});

describe('coder-sim faults over HTTP', () => {
  let sim: CoderSimulator;
  let alice: Api;
  beforeAll(async () => {
    sim = await startSim();
    alice = apiAs(sim, 'alice');
  });
  afterAll(() => sim.close());
  const count = () => [...sim.state.workspaces.values()].filter((w) => w.ownerId === idOf(sim, 'user', 'alice')).length;

  it('a 500 before commit changes nothing', async () => {
    sim.setFaults({ errorRate: 1 });
    const before = count();
    const res = await alice('POST', '/api/v2/users/alice/workspaces', { name: 'e1', template_id: idOf(sim, 'template', 'docker') });
    expect(res.status).toBe(500);
    expect(res.body.message).toBe('Internal error.');
    expect(count()).toBe(before);
    expect(sim.calls.at(-1)).toMatchObject({ status: 500, fault: 'error' });
  });

  it('a 500 after commit keeps the change (a lost response)', async () => {
    sim.setFaults({ errorAfterCommitRate: 1 });
    const res = await alice('POST', '/api/v2/users/alice/workspaces', { name: 'e2', template_id: idOf(sim, 'template', 'docker') });
    expect(res.status).toBe(500);
    expect(sim.calls.at(-1)).toMatchObject({ status: 500, fault: 'error-after-commit' });
    sim.setFaults({});
    expect((await alice('GET', '/api/v2/users/alice/workspace/e2')).status).toBe(200);
    expect(sim.calls.at(-1)?.fault).toBeUndefined();
  });

  it('drops the connection before or after commit, recorded with status 0', async () => {
    sim.setFaults({ dropRate: 1 });
    sim.resetCalls();
    await expect(
      alice('POST', '/api/v2/users/alice/workspaces', { name: 'd1', template_id: idOf(sim, 'template', 'docker') }),
    ).rejects.toThrow();
    expect(sim.calls.at(-1)).toMatchObject({ status: 0, fault: 'drop' });
    sim.setFaults({ dropAfterCommitRate: 1 });
    await expect(
      alice('POST', '/api/v2/users/alice/workspaces', { name: 'd2', template_id: idOf(sim, 'template', 'docker') }),
    ).rejects.toThrow();
    sim.setFaults({});
    expect((await alice('GET', '/api/v2/users/alice/workspace/d1')).status).toBe(404);
    expect((await alice('GET', '/api/v2/users/alice/workspace/d2')).status).toBe(200);
  });

  it('adds latency and answers 429 bursts with Retry-After', async () => {
    sim.setFaults({ latencyMs: 40 });
    await alice('GET', '/api/v2/users/me');
    expect(sim.calls.at(-1)!.heldMs).toBe(40);
    sim.setFaults({ rateLimitBurst: { every: 1, length: 1 } });
    expect((await alice('GET', '/api/v2/users/me')).status).toBe(200);
    const limited = await alice('GET', '/api/v2/users/me');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    sim.setFaults({ rateLimitBurst: { every: 1, length: 1, retryAfterSeconds: 2 } });
    expect((await alice('GET', '/api/v2/users/me')).status).toBe(200);
    expect((await alice('GET', '/api/v2/users/me')).headers.get('retry-after')).toBe('2');
    sim.setFaults({});
  });

  // By order, not by a race of two short timers: the stall outlasts any lag of a
  // loaded machine between the client giving up and the first look.
  it('a stalled request commits after a client that gave up', async () => {
    sim.setFaults({ stallRate: 1, stallMs: 3000 });
    const gaveUp = fetch(`${sim.url}/api/v2/users/alice/workspaces`, {
      method: 'POST',
      headers: { 'Coder-Session-Token': sim.tokenFor('alice'), 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 's1', template_id: idOf(sim, 'template', 'docker') }),
      signal: AbortSignal.timeout(50),
    });
    await expect(gaveUp).rejects.toThrow();
    sim.setFaults({});
    expect((await alice('GET', '/api/v2/users/alice/workspace/s1')).status).toBe(404);
    await eventually(
      'the stalled create to land',
      async () => (await alice('GET', '/api/v2/users/alice/workspace/s1')).status === 200,
      30_000,
    );
  });
});

describe('coder-sim records which Retry-After window a call arrived in, by its own clock', () => {
  it('marks calls on the same caller and path until the window ends, and no others', async () => {
    const clock = manualClock();
    const sim = await startSim({ clock: clock.fn, faults: { rateLimitBurst: { every: 1, length: 1, retryAfterSeconds: 2 } } });
    try {
      const alice = apiAs(sim, 'alice');
      const bob = apiAs(sim, 'bob');
      await alice('GET', '/api/v2/users/me'); // passes
      await alice('GET', '/api/v2/users/me'); // 429, window [t, t + 2 s)
      const limited = sim.calls.at(-1)!;
      expect(limited).toMatchObject({ status: 429, fault: 'burst429', answeredAt: clock.now });
      sim.setFaults({});
      clock.advance(1999);
      await alice('GET', '/api/v2/users/me');
      await bob('GET', '/api/v2/users/me');
      await alice('GET', '/api/v2/buildinfo');
      clock.advance(1);
      await alice('GET', '/api/v2/users/me');
      const [inside, otherUser, otherPath, after] = sim.calls.slice(-4);
      expect(inside!.insideRetryAfterOf).toEqual([limited.id]);
      expect(otherUser!.insideRetryAfterOf).toBeUndefined();
      expect(otherPath!.insideRetryAfterOf).toBeUndefined();
      expect(after!.insideRetryAfterOf).toBeUndefined();
      expect(new Set(sim.calls.map((c) => c.id)).size).toBe(sim.calls.length);
    } finally {
      await sim.close();
    }
  });

  it('numbers the connections calls came on', async () => {
    const sim = await startSim();
    const one = new Agent({ keepAlive: true, maxSockets: 1 });
    const two = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (const agent of [one, one, two]) await getVia(agent, `${sim.url}/api/v2/buildinfo`);
      const [a, b, c] = sim.calls.map((x) => x.connection);
      expect(a).toBe(b);
      expect(c).not.toBe(a);
    } finally {
      one.destroy();
      two.destroy();
      await sim.close();
    }
  });

  it('records the injected hold, not a measured one', async () => {
    const sim = await startSim({ faults: { latencyMs: 30 } });
    try {
      await apiAs(sim, 'alice')('GET', '/api/v2/users/me');
      expect(sim.calls.at(-1)!.heldMs).toBe(30);
      sim.setFaults({});
      await apiAs(sim, 'alice')('GET', '/api/v2/users/me');
      expect(sim.calls.at(-1)!.heldMs).toBeUndefined();
    } finally {
      await sim.close();
    }
  });
});

function getVia(agent: Agent, url: string): Promise<void> {
  return new Promise((done, fail) => {
    get(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => done());
    }).on('error', fail);
  });
}
