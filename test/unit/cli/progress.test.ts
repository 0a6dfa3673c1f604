// The apply progress without a terminal: each change on its own line, and
// every few seconds one plain line with done/total, failed, rate and ETA.
import { PassThrough } from 'node:stream';
import { Chalk } from 'chalk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApplyProgress } from '../../../src/cli/progress.ts';
import type { Action, WorkspacePlan } from '../../../src/engine/types.ts';
import type { PlanReport } from '../../../src/gitops/run.ts';
import { desired } from '../engine/fixtures.ts';
import { VersionNames } from '../../../src/engine/version-names.ts';

function stream(): { s: NodeJS.WriteStream; text: () => string } {
  const s = new PassThrough() as unknown as NodeJS.WriteStream;
  let out = '';
  (s as unknown as PassThrough).on('data', (d) => (out += d));
  return { s, text: () => out };
}

const create: Action = { kind: 'create', create: { owner: 'alice', name: 'x', template: 'docker', parameters: [] }, recreate: false };
const favorite: Action = { kind: 'favorite', from: false, to: true };

function plan(key: string, actions: Action[]): WorkspacePlan {
  return { key, desired: desired({ key }), observed: undefined, actions, blocked: [], drift: [] };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('ApplyProgress without a terminal', () => {
  it('prints the changes, and every interval a line with done, total, failed, rate and ETA', () => {
    vi.useFakeTimers();
    let now = 0;
    const out = stream();
    const err = stream();
    const p = new ApplyProgress({ out: out.s, err: err.s, colours: new Chalk({ level: 0 }), intervalMs: 5_000, now: () => now });
    const plans = [plan('a/1', [create, favorite]), plan('a/2', [create]), plan('a/3', [create]), plan('a/4', []), plan('a/5', [create])];
    const report: PlanReport = {
      plans,
      prunes: [],
      statuses: new Map(),
      adoptions: new Set(),
      versions: new VersionNames({ templateVersion: () => Promise.reject(new Error('no version is read here')) }),
    };
    p.start(report);
    now = 2_000;
    p.outcome('a/1', { action: create, ok: true }, '✓ create a/1');
    p.outcome('a/2', { action: create, ok: false, error: new Error('no') }, '✗ create a/2: no');
    p.outcome('a/3', { action: create, ok: true }, '✓ create a/3');
    now = 5_000;
    vi.advanceTimersByTime(5_000);
    // a/1 waits for its favorite; a/2 failed (finished); a/3 done: 2 of 4 in 5 s.
    expect(err.text()).toBe('progress: 2/4 workspaces (50%), 1 failed, 0.4/s, about 5s left\n');
    p.waiting(30_000);
    p.outcome('a/1', { action: favorite, ok: true }, '✓ favorite a/1');
    expect(p.plainLine()).toBe("progress: 3/4 workspaces (75%), 1 failed, 0.6/s, about 2s left; waiting for Coder's rate limit (30s)");
    p.stop();
    vi.advanceTimersByTime(20_000);
    expect(err.text().split('\n').filter(Boolean)).toHaveLength(1); // stopped: no more lines
    expect(out.text()).toBe('✓ create a/1\n✗ create a/2: no\n✓ create a/3\n✓ favorite a/1\n');
    expect(err.text() + out.text()).not.toContain('\x1b');
  });
});
