// Every Workspace, CoderConnection and ClusterCoderConnection the docs show
// (```yaml blocks, and the heredocs of ```sh blocks that `kubectl apply -f -`)
// is valid by the schema the CLI and the CRDs use, so a reader who copies one
// gets a working document. The README's CLI example names files that exist
// and pass `cwo validate`.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { validateClusterCoderConnection, validateCoderConnection, validateWorkspace } from '../../../src/api/validate.ts';
import { loadDeclarations } from '../../../src/gitops/load.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const VALIDATORS: Record<string, (doc: unknown) => { ok: boolean; errors?: { path: string; message: string }[] }> = {
  Workspace: validateWorkspace,
  CoderConnection: validateCoderConnection,
  ClusterCoderConnection: validateClusterCoderConnection,
};

function markdownFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? markdownFiles(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : [],
  );
}

/** The YAML a doc shows: ```yaml blocks, and `<<'YAML' … YAML` heredocs inside ```sh blocks. */
function yamlBlocks(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/^```ya?ml\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
  for (const sh of markdown.matchAll(/^```sh\n([\s\S]*?)^```/gm))
    for (const heredoc of sh[1]!.matchAll(/<<'?YAML'?\n([\s\S]*?)^YAML$/gm)) blocks.push(heredoc[1]!);
  return blocks;
}

interface Example {
  file: string;
  kind: string;
  doc: unknown;
}

function examples(): Example[] {
  return ['README.md', ...markdownFiles('docs')].flatMap((file) =>
    yamlBlocks(readFileSync(join(ROOT, file), 'utf8')).flatMap((block) =>
      parseAllDocuments(block)
        .map((d) => d.toJS() as { apiVersion?: string; kind?: string } | null)
        .filter((doc) => doc?.apiVersion === 'coderops.dev/v1alpha1' && doc.kind !== undefined && doc.kind in VALIDATORS)
        .map((doc) => ({ file, kind: doc!.kind!, doc })),
    ),
  );
}

describe('examples in the docs', () => {
  const all = examples();

  it('finds the Workspaces and connections the README and the references show', () => {
    const from = (file: string, kind: string) => all.filter((e) => e.file === file && e.kind === kind).length;
    expect(from('README.md', 'Workspace')).toBeGreaterThanOrEqual(2);
    expect(from('README.md', 'CoderConnection')).toBe(1);
    expect(from('docs/reference/coderconnection.md', 'ClusterCoderConnection')).toBe(1);
    expect(from('docs/reference/workspace.md', 'Workspace')).toBe(1);
  });

  it('each is valid', () => {
    const invalid = all.flatMap((e) => {
      const result = VALIDATORS[e.kind]!(e.doc);
      return result.ok ? [] : [`${e.file}: ${e.kind}: ${result.errors!.map((x) => `${x.path}: ${x.message}`).join('; ')}`];
    });
    expect(invalid).toEqual([]);
  });

  it('a broken example would be caught', () => {
    expect(
      validateWorkspace({ apiVersion: 'coderops.dev/v1alpha1', kind: 'Workspace', metadata: { name: 'a' }, spec: { owner: 'a', ttl: 8 } })
        .ok,
    ).toBe(false);
  });

  it("names files that exist in the README's CLI example", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const paths = [...readme.matchAll(/-f (examples\/\S*)/g)].map((m) => m[1]!);
    expect(paths.length).toBeGreaterThan(0);
    for (const path of paths) expect(existsSync(join(ROOT, path)), path).toBe(true);
  });

  it("passes `cwo validate` on the README's CLI example (the same loader, no Coder)", async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const paths = [...new Set([...readme.matchAll(/cwo validate -f (\S+)/g)].map((m) => join(ROOT, m[1]!)))];
    expect(paths.length).toBe(1);
    const loaded = await loadDeclarations(paths);
    expect(loaded.errors).toEqual([]);
    expect(loaded.workspaces.length).toBeGreaterThan(2);
  });
});
