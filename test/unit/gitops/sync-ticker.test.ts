// SyncTicker over a fake git source and the simulator: what a tick reads
// from git, and that a resync of the same commit re-converges from the
// declarations already parsed.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoderClient } from '../../../src/coder/client.ts';
import { OwnerTokenBroker } from '../../../src/coder/owner-tokens.ts';
import { startCoderSimulator, type CoderSimulator } from '../../../src/coder-sim/index.ts';
import type { GitSource, TreeFile } from '../../../src/gitops/git-source.ts';
import { SyncTicker } from '../../../src/gitops/sync.ts';
import { SEED } from '../../integration/seed.ts';
import { wsYaml } from './git-fixture.ts';

/** A repository held in memory: commit id -> files under the synced path. */
class FakeSource {
  readonly display = 'fake://repo';
  head = 'c1';
  readonly trees = new Map<string, TreeFile[]>();
  readonly treeReads: string[] = [];
  async fetch(): Promise<void> {}
  async resolve(): Promise<string> {
    return this.head;
  }
  async isAncestor(): Promise<boolean> {
    return true;
  }
  async readTree(commit: string): Promise<TreeFile[]> {
    this.treeReads.push(commit);
    return this.trees.get(commit) ?? [];
  }
}

let sim: CoderSimulator;
let source: FakeSource;
let ticker: SyncTicker;
let dir: string;
let makeTicker: (o: { resyncMs: number; statusPath?: string; now?: () => Date }) => SyncTicker;

beforeEach(async () => {
  sim = await startCoderSimulator({ seed: SEED });
  dir = await mkdtemp(join(tmpdir(), 'cwo-ticker-'));
  const api = new CoderClient({ url: sim.url, token: sim.tokenFor('admin') });
  const me = await api.getUser('me');
  const owners = new OwnerTokenBroker({ admin: api, selfUser: { id: me.id, username: me.username } });
  source = new FakeSource();
  source.trees.set('c1', [{ path: 'w/a.yaml', text: wsYaml('a', { owner: 'alice', ttl: '8h' }) }]);
  source.trees.set('c2', [{ path: 'w/a.yaml', text: wsYaml('a', { owner: 'alice', ttl: '4h' }) }]);
  makeTicker = (o) =>
    new SyncTicker({
      source: source as unknown as GitSource,
      ref: 'main',
      path: 'w',
      connect: async () => ({ api, owners, coderUrl: sim.url }),
      run: { statePath: join(dir, 'state.json'), prune: false, defaultDeletionPolicy: 'Orphan', concurrency: 4, deleteTimeoutMs: 10_000 },
      allowHistoryRewrite: false,
      logger: pino({ level: 'silent' }),
      ...o,
    });
  // Every tick is a resync: the case where a cache could go wrong.
  ticker = makeTicker({ resyncMs: 0 });
});

afterEach(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

const workspaceA = () => sim.state.findLiveWorkspace(sim.state.findUser('alice')!.id, 'a');
const ttlOfA = () => workspaceA()?.ttlMs;

describe('SyncTicker', () => {
  it('reads a commit from git once; resyncs of it still correct drift made in Coder', async () => {
    expect(await ticker.tick()).toBe('Applied');
    expect(ttlOfA()).toBe(8 * 3600_000);
    expect(await ticker.tick()).toBe('UpToDate');
    expect(source.treeReads).toEqual(['c1']);

    // Someone changes the TTL in the Coder UI: the next resync sets it back,
    // from the declarations already parsed.
    workspaceA()!.ttlMs = 3600_000;
    expect(await ticker.tick()).toBe('Applied');
    expect(ttlOfA()).toBe(8 * 3600_000);
    expect(source.treeReads).toEqual(['c1']);
  });

  it('consecutive Unchanged ticks rewrite the status file at most once a minute', async () => {
    let t = Date.parse('2026-11-23T10:00:00Z');
    const statusPath = join(dir, 'status.json');
    const quiet = makeTicker({ resyncMs: 3_600_000, statusPath, now: () => new Date(t) });
    const attempt = async () => JSON.parse(await readFile(statusPath, 'utf8')).lastAttemptTime as string;
    expect(await quiet.tick()).toBe('Applied');
    t += 1000;
    expect(await quiet.tick()).toBe('Unchanged'); // the first Unchanged after Applied is written
    expect(await attempt()).toBe('2026-11-23T10:00:01.000Z');
    t += 30_000;
    expect(await quiet.tick()).toBe('Unchanged');
    expect(await attempt(), 'not rewritten 30 s later').toBe('2026-11-23T10:00:01.000Z');
    expect(quiet.status.lastAttemptTime, 'kept in memory all the same').toBe('2026-11-23T10:00:31.000Z');
    t += 31_000;
    expect(await quiet.tick()).toBe('Unchanged');
    expect(await attempt(), 'refreshed after a minute').toBe('2026-11-23T10:01:02.000Z');
    source.head = 'c2';
    t += 1000;
    expect(await quiet.tick()).toBe('Applied');
    expect(JSON.parse(await readFile(statusPath, 'utf8')).result).toBe('Applied');
  });

  it('a commit whose prune goes past --max-prune applies nothing, the tick fails naming the bound', async () => {
    const api = new CoderClient({ url: sim.url, token: sim.tokenFor('admin') });
    const me = await api.getUser('me');
    const owners = new OwnerTokenBroker({ admin: api, selfUser: { id: me.id, username: me.username } });
    const pruning = new SyncTicker({
      source: source as unknown as GitSource,
      ref: 'main',
      path: 'w',
      connect: async () => ({ api, owners, coderUrl: sim.url }),
      run: {
        statePath: join(dir, 'state.json'),
        prune: true,
        maxPrune: { count: 0 },
        defaultDeletionPolicy: 'Delete',
        concurrency: 4,
        deleteTimeoutMs: 10_000,
      },
      resyncMs: 0,
      allowHistoryRewrite: false,
      logger: pino({ level: 'silent' }),
    });
    expect(await pruning.tick()).toBe('Applied');
    source.trees.set('c3', [{ path: 'w/b.yaml', text: wsYaml('b', { owner: 'bob', ttl: '8h' }) }]);
    source.head = 'c3';
    expect(await pruning.tick()).toBe('ApplyFailed');
    expect(pruning.status.errors.map((e) => e.message).join()).toContain('prune would delete 1 workspace, more than --max-prune 0');
    expect(workspaceA()).toBeDefined();
    expect(sim.state.findLiveWorkspace(sim.state.findUser('bob')!.id, 'b')).toBeUndefined(); // not even the create
    expect(pruning.status.lastAppliedRevision).toBe('c1');
  });

  it('a new commit is read and applied', async () => {
    await ticker.tick();
    source.head = 'c2';
    expect(await ticker.tick()).toBe('Applied');
    expect(ttlOfA()).toBe(4 * 3600_000);
    expect(source.treeReads).toEqual(['c1', 'c2']);
  });
});
