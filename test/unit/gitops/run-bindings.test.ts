// runApply's last line of defence: a create can land on a workspace the
// checks before the run could not see (a 409 answered by a workspace someone
// else just made). It is then reported, and never bound a second time.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoderApiError } from '../../../src/coder/errors.ts';
import { renderApplySummary } from '../../../src/cli/render.ts';
import { loadFromText } from '../../../src/gitops/load.ts';
import { runApply, type RunOptions } from '../../../src/gitops/run.ts';
import { coderWorkspace, FakeCoder } from '../engine/fake-coder.ts';
import { docs, workspaceYaml as ws } from './fixtures.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cwo-run-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(api: FakeCoder, text: string): RunOptions {
  const loaded = loadFromText(join(dir, 'ws.yaml'), text);
  expect(loaded.errors).toEqual([]);
  return {
    declarations: loaded.workspaces,
    paths: [join(dir, 'ws.yaml')],
    api,
    owners: { forOwner: async () => api },
    coderUrl: 'https://coder.example.com',
    statePath: join(dir, 'state.json'),
    prune: false,
    defaultDeletionPolicy: 'Orphan',
    concurrency: 1,
    deleteTimeoutMs: 1000,
  };
}

describe('runApply bindings', () => {
  it('two creates that end on one workspace: the first binds it, the second fails naming it and is not recorded', async () => {
    const api = new FakeCoder(); // answers every create with the same workspace
    const report = await runApply(options(api, docs(ws({ name: 'one', owner: 'alice' }), ws({ name: 'two', owner: 'bob' }))));
    const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'));
    expect(Object.keys(state.entries)).toEqual(['default/one']);
    const second = report.results.find((r) => r.key === 'default/two')!;
    const refused = second.outcomes.at(-1)!;
    expect(refused.ok).toBe(false);
    expect(!refused.ok && !refused.skipped && String(refused.error)).toContain('is already bound to default/one');
  });

  it('a create answered 409 that finds the workspace counts as adopted, not created', async () => {
    const api = new FakeCoder();
    api.failures.createWorkspace = new CoderApiError({
      status: 409,
      method: 'POST',
      path: '/api/v2/users/alice/workspaces',
      response: { message: 'exists' },
    });
    api.found = coderWorkspace({ name: 'dev' });
    const report = await runApply(options(api, ws({ owner: 'alice' })));
    expect(renderApplySummary(report)).toContain('Apply complete: 0 created, 1 adopted,');
  });
});
