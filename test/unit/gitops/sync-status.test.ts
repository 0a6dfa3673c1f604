// The sync status file: atomic, stable, validated on read; the markdown plan summary.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderErrorsMarkdown } from '../../../src/cli/markdown.ts';
import { renderSyncStatus } from '../../../src/cli/sync-status-table.ts';
import { emptySyncStatus, readSyncStatus, SyncStatusError, writeSyncStatus } from '../../../src/gitops/sync-status.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cwo-status-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const REV = 'a'.repeat(40);

describe('sync status file', () => {
  it('round-trips, sorts workspaces, leaves no temp file and is private', async () => {
    const path = join(dir, 'sub', 'status.json');
    expect(await readSyncStatus(path)).toBeUndefined();
    const status = {
      ...emptySyncStatus('https://git.example.com/r.git', 'main', 'workspaces'),
      lastAppliedRevision: REV,
      result: 'Applied',
      workspaces: { 'team-b/x': { id: '2' }, 'team-a/y': { id: '1', name: 'y' } },
    };
    await writeSyncStatus(path, status);
    const back = await readSyncStatus(path);
    expect(back).toEqual(status);
    expect(Object.keys(back!.workspaces)).toEqual(['team-a/y', 'team-b/x']);
    expect(await readdir(join(dir, 'sub'))).toEqual(['status.json']);
    expect((await import('node:fs')).statSync(path).mode & 0o777).toBe(0o600);
    expect(renderSyncStatus(back!)).toContain('team-a/y   y           1');
  });

  it('refuses what it did not write', async () => {
    const path = join(dir, 'status.json');
    await writeFile(path, '{"version":1,"repo":"r","ref":"main","path":".","lastAppliedRevision":"main","errors":[],"workspaces":{}}');
    await expect(readSyncStatus(path)).rejects.toThrow(/lastAppliedRevision must be a commit id/);
    await writeFile(path, 'nope');
    await expect(readSyncStatus(path)).rejects.toBeInstanceOf(SyncStatusError);
  });
});

describe('markdown', () => {
  it('errors are a table with file:line and field; cells cannot break the table', () => {
    const md = renderErrorsMarkdown(
      [{ file: 'w/a.yaml', document: 1, line: 8, column: 3, field: 'spec.ttl', message: 'bad | value\nhere' }],
      '`w` at `abc`',
    );
    expect(md).toContain('| `w/a.yaml:8:3` document 1 | `spec.ttl` | bad \\| value<br>here |');
    expect(md).toContain('Source: `w` at `abc`');
    expect(md.split('\n')[0]).toBe('### coder-workspace-operator plan: ❌ 1 error(s)');
  });
});
