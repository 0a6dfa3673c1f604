// Shared by the sync integration tests: a harness plus a git fixture, and a
// `sync --once` bound to both.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SyncStatusFile } from '../../src/gitops/sync-status.ts';
import { createGitFixture, type GitFixture } from '../unit/gitops/git-fixture.ts';
import { startHarness, type CliResult, type Harness } from './harness.ts';
import type { SimulatorOptions } from '../../src/coder-sim/index.ts';

export interface SyncWorld {
  h: Harness;
  repo: GitFixture;
  statusPath: string;
  /** `sync --once` over `workspaces/` of the fixture's remote, with a cache and status file in the temp dir. */
  sync(extra?: string[], opts?: { repo?: string; env?: Record<string, string> }): Promise<CliResult>;
  status(): Promise<SyncStatusFile>;
}

export async function startSyncWorld(opts: SimulatorOptions): Promise<SyncWorld> {
  const h = await startHarness(opts);
  const repo = createGitFixture(join(h.dir, 'git'));
  const statusPath = join(h.dir, 'status.json');
  return {
    h,
    repo,
    statusPath,
    sync(extra = [], o = {}) {
      return h.cli(
        [
          'sync',
          '--repo',
          o.repo ?? repo.remote,
          '--path',
          'workspaces/',
          '--once',
          '--status-file',
          statusPath,
          '--cache-dir',
          join(h.dir, 'cache'),
          '--deletion-policy',
          'Delete',
          ...extra,
        ],
        o.env ? { env: o.env } : {},
      );
    },
    async status() {
      return JSON.parse(await readFile(statusPath, 'utf8')) as SyncStatusFile;
    },
  };
}
