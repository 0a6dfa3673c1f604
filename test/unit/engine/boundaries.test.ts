// The engine has one surface, src/engine/index.ts: the front doors
// (src/controller, src/gitops, src/cli) import it and nothing else under
// src/engine, so what the engine keeps to itself can change without touching
// them, and both doors reach Coder and the rollout's slots the same way. Door
// files that plan and apply must not call Coder directly either: they go
// through WorkspaceEngine and its adapter (src/engine/external.ts). The check
// reads every import and export specifier of every door file, so a new file
// is covered without touching this test.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { relativeImportTargets } from '../../support/relative-imports.ts';

const SRC = resolve(import.meta.dirname, '../../../src');
const DOORS = ['controller', 'gitops', 'cli'];
const SURFACE = 'engine/index.ts';
/** Door files that drive plans and builds: they hold no Coder client of their own (issue 20). */
const THROUGH_THE_ADAPTER = ['gitops/lifecycle-run.ts', 'gitops/identity.ts', 'controller/workspace/sync.ts'];
/** run.ts is handed the CLI's client (RunOptions.api) and uses it for one thing: building its engine's adapter. */
const COMPOSES_THE_ADAPTER = 'gitops/run.ts';

/** The src/-relative modules a file at `file` reaches with its relative imports. */
const targets = (file: string, source: string) => relativeImportTargets(SRC, file, source);

function engineInternals(file: string, source: string): string[] {
  return targets(file, source).filter((t) => t.startsWith('engine/') && t !== SURFACE);
}

/** The Coder client's interface: holding one is what lets a file call Coder past the adapter. */
function coderClients(file: string, source: string): string[] {
  return targets(file, source).filter((t) => t === 'coder/api.ts' || t === 'coder/client.ts');
}

const doorFiles = DOORS.flatMap((door) =>
  readdirSync(join(SRC, door), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(door, f)),
);

describe('the engine surface', () => {
  it('has door files to check', () => {
    expect(doorFiles.length).toBeGreaterThan(50);
    expect(doorFiles).toEqual(expect.arrayContaining([...THROUGH_THE_ADAPTER, COMPOSES_THE_ADAPTER]));
  });

  it.each(doorFiles)('%s imports the engine only through src/engine/index.ts', (name) => {
    const file = join(SRC, name);
    expect(engineInternals(file, readFileSync(file, 'utf8'))).toEqual([]);
  });

  it.each(THROUGH_THE_ADAPTER)('%s holds no Coder client: it calls Coder through the engine', (name) => {
    const file = join(SRC, name);
    expect(coderClients(file, readFileSync(file, 'utf8'))).toEqual([]);
  });

  it(`${COMPOSES_THE_ADAPTER} uses its Coder client only to build the engine's adapter`, () => {
    const source = readFileSync(join(SRC, COMPOSES_THE_ADAPTER), 'utf8');
    expect([...source.matchAll(/\.api\b/g)].map((m) => source.slice(m.index - 30, m.index + 20))).toEqual([
      expect.stringContaining('new CoderWorkspaces(opts.api, opts.owners'),
    ]);
  });

  it.each([
    { source: "import { diff } from '../engine/diff.ts';", bad: ['engine/diff.ts'] },
    { source: "import type { RolloutGate } from '../engine/lifecycle.ts';", bad: ['engine/lifecycle.ts'] },
    { source: "export { WorkspaceEngine } from '../engine/engine.ts';", bad: ['engine/engine.ts'] },
    { source: "const m = await import('../engine/apply.ts');", bad: ['engine/apply.ts'] },
    { source: "import {\n  a,\n  b,\n} from '../engine/observe.ts';", bad: ['engine/observe.ts'] },
    { source: "import { diff, WorkspaceEngine } from '../engine/index.ts';\nimport { x } from './y.ts';", bad: [] },
  ])('the check itself catches $bad', ({ source, bad }) => {
    expect(engineInternals(join(SRC, 'gitops', 'example.ts'), source)).toEqual(bad);
  });

  it('the adapter check itself catches a Coder client', () => {
    expect(coderClients(join(SRC, 'gitops', 'example.ts'), "import type { CoderApi } from '../coder/api.ts';")).toEqual(['coder/api.ts']);
    expect(coderClients(join(SRC, 'gitops', 'example.ts'), "import { isNotFound } from '../coder/errors.ts';")).toEqual([]);
  });
});
