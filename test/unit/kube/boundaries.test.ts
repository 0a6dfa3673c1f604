// src/kube/ is the generic Kubernetes runtime: it may import packages, its own
// files and src/observability/, nothing else of ours. The check reads every
// import and export specifier of every file there, so a new file is covered
// without touching this test.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { relativeImportTargets } from '../../support/relative-imports.ts';

const SRC = resolve(import.meta.dirname, '../../../src');
const KUBE = join(SRC, 'kube');
const ALLOWED = ['kube', 'observability'];

/** The src/ folders outside ALLOWED that a file at `file` reaches with its relative imports. */
function forbiddenImports(file: string, source: string): string[] {
  return relativeImportTargets(SRC, file, source).filter((target) => target.startsWith('..') || !ALLOWED.includes(target.split('/')[0]!));
}

describe('src/kube import boundary', () => {
  const files = readdirSync(KUBE, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));

  it('has files to check', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it.each(files)('%s imports only packages, src/kube and src/observability', (name) => {
    const file = join(KUBE, name);
    expect(forbiddenImports(file, readFileSync(file, 'utf8'))).toEqual([]);
  });

  it.each([
    { source: "import { Reconciler } from '../controller/reconciler.ts';", bad: ['controller/reconciler.ts'] },
    { source: "import type { Workspace } from '../api/schema.ts';", bad: ['api/schema.ts'] },
    { source: "export { diff } from '../engine/diff.ts';", bad: ['engine/diff.ts'] },
    { source: "const m = await import('../coder/client.ts');", bad: ['coder/client.ts'] },
    { source: "import {\n  a,\n  b,\n} from '../gitops/run.ts';", bad: ['gitops/run.ts'] },
    { source: "import '../cli/main.ts';", bad: ['cli/main.ts'] },
    { source: "import pino from 'pino';\nimport { x } from './clock.ts';\nimport { m } from '../observability/metrics.ts';", bad: [] },
  ])('the check itself catches $bad', ({ source, bad }) => {
    expect(forbiddenImports(join(KUBE, 'example.ts'), source)).toEqual(bad);
  });
});
