import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadDeclarations } from '../../../src/gitops/load.ts';
import { docs, workspaceYaml as ws } from './fixtures.ts';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'cwo-load-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Writes files under root; a path ending in / makes a directory. */
async function tree(files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    const full = join(root, path);
    if (path.endsWith('/')) {
      await mkdir(full, { recursive: true });
      continue;
    }
    await mkdir(join(full, '..'), { recursive: true });
    await writeFile(full, text);
  }
}

describe('loadDeclarations', () => {
  it('walks directories recursively in name order, skipping hidden entries and other extensions', async () => {
    await tree({
      'decl/b.yaml': ws({ name: 'b', owner: 'u1' }),
      'decl/a.yml': ws({ name: 'a', owner: 'u2' }),
      'decl/sub/c.json': JSON.stringify({
        apiVersion: 'coderops.dev/v1alpha1',
        kind: 'Workspace',
        metadata: { name: 'c' },
        spec: { owner: 'u3', template: 'docker' },
      }),
      'decl/sub/deeper/d.YAML': ws({ name: 'd', owner: 'u4' }),
      'decl/A-upper.yaml': ws({ name: 'upper', owner: 'u5' }),
      'decl/.git/config.yaml': 'not: [valid',
      'decl/.hidden.yaml': 'not: [valid',
      'decl/notes.txt': 'not: [valid',
      'decl/empty/': '',
    });
    const result = await loadDeclarations(['decl'], { cwd: root });
    expect(result.errors).toEqual([]);
    expect(result.workspaces.map((w) => w.source.file)).toEqual([
      join('decl', 'A-upper.yaml'),
      join('decl', 'a.yml'),
      join('decl', 'b.yaml'),
      join('decl', 'sub', 'c.json'),
      join('decl', 'sub', 'deeper', 'd.YAML'),
    ]);
  });

  it('keeps the order of the paths given and reads a named file whatever its extension', async () => {
    await tree({ 'z.yaml': ws({ name: 'z', owner: 'u1' }), 'a.txt': ws({ name: 'a', owner: 'u2' }) });
    const result = await loadDeclarations(['z.yaml', 'a.txt'], { cwd: root });
    expect(result.errors).toEqual([]);
    expect(result.workspaces.map((w) => w.key)).toEqual(['default/z', 'default/a']);
  });

  it('resolves absolute paths too', async () => {
    await tree({ 'x.yaml': ws() });
    const result = await loadDeclarations([join(root, 'x.yaml')]);
    expect(result.workspaces.map((w) => w.source.file)).toEqual([join(root, 'x.yaml')]);
  });

  it('reads - from stdin', async () => {
    await tree({ 'a.yaml': ws({ name: 'a', owner: 'u1' }) });
    // Chunks need not end at document boundaries.
    const text = docs(ws({ name: 'b', owner: 'u2' }), ws({ name: 'c', owner: 'u3' }));
    const stdin = Readable.from([Buffer.from(text.slice(0, 30)), text.slice(30)]);
    const result = await loadDeclarations(['a.yaml', '-'], { cwd: root, stdin });
    expect(result.errors).toEqual([]);
    expect(result.workspaces.map((w) => [w.source.file, w.source.document, w.key])).toEqual([
      ['a.yaml', 1, 'default/a'],
      ['-', 1, 'default/b'],
      ['-', 2, 'default/c'],
    ]);
  });

  it('refuses stdin twice', async () => {
    const stdin = Readable.from([ws()]);
    const result = await loadDeclarations(['-', '-'], { cwd: root, stdin });
    expect(result.workspaces).toHaveLength(1);
    expect(result.errors).toEqual([{ file: '-', message: 'stdin (-) given more than once' }]);
  });

  it('reports a missing path by name and still loads the rest', async () => {
    await tree({ 'ok.yaml': ws() });
    const result = await loadDeclarations(['nope.yaml', 'ok.yaml', 'gone/'], { cwd: root });
    expect(result.workspaces.map((w) => w.key)).toEqual(['default/dev']);
    expect(result.errors).toEqual([
      { file: 'nope.yaml', message: 'no such file or directory' },
      { file: 'gone/', message: 'no such file or directory' },
    ]);
  });

  it('refuses an empty directory and an empty path list (apply --prune would delete everything)', async () => {
    await tree({ 'empty/': '', 'empty/.keep.yaml': ws() });
    expect((await loadDeclarations(['empty'], { cwd: root })).errors).toEqual([
      { file: 'empty', message: 'no .yaml, .yml or .json files in this directory' },
    ]);
    expect((await loadDeclarations([], { cwd: root })).errors).toEqual([{ file: '-', message: 'no files or directories given' }]);
  });

  it('a dangling symlink to a declaration file is an error, not a file that declares nothing', async () => {
    await tree({ 'decl/a.yaml': ws({ name: 'a', owner: 'u1' }) });
    await symlink(join(root, 'gone.yaml'), join(root, 'decl', 'b.yaml'));
    await symlink(join(root, 'gone.txt'), join(root, 'decl', 'notes.txt')); // not a declaration: skipped as before
    const result = await loadDeclarations(['decl'], { cwd: root });
    expect(result.workspaces.map((w) => w.key)).toEqual(['default/a']);
    expect(result.errors).toEqual([
      { file: join('decl', 'b.yaml'), message: 'a symlink whose target cannot be read (no such file or directory)' },
    ]);
  });

  it('an empty file, in a directory or named, is an error naming it', async () => {
    await tree({ 'decl/a.yaml': ws({ name: 'a', owner: 'u1' }), 'decl/b.yaml': '', 'c.yaml': '---\n' });
    const result = await loadDeclarations(['decl', 'c.yaml'], { cwd: root, stdin: Readable.from(['']) });
    expect(result.errors.map((e) => [e.file, e.message.split(' (')[0]])).toEqual([
      [join('decl', 'b.yaml'), 'declares nothing'],
      ['c.yaml', 'declares nothing'],
    ]);
  });

  it('reports every error of every file at once', async () => {
    await tree({
      'decl/a.yaml': docs(ws({ name: 'a', owner: 'u1', ttl: 'soon' }), 'kind: [oops\n'),
      'decl/b.yaml': docs(ws({ name: 'b', owner: 'u2' }), 'apiVersion: v1\nkind: ConfigMap\n'),
      'decl/c.yaml': ws({ name: 'c', owner: 'u3' }),
    });
    const result = await loadDeclarations(['decl', 'missing'], { cwd: root });
    expect(result.workspaces.map((w) => w.key)).toEqual(['default/b', 'default/c']);
    expect(result.errors.map((e) => [e.file, e.document, e.field, e.line])).toEqual([
      [join('decl', 'a.yaml'), 1, 'spec.ttl', 9],
      // An unclosed flow sequence is reported where the input ends.
      [join('decl', 'a.yaml'), 2, undefined, 12],
      [join('decl', 'b.yaml'), 2, 'kind', 12],
      ['missing', undefined, undefined, undefined],
    ]);
  });

  it('finds the same owner and Coder name across files, ignoring case', async () => {
    await tree({
      'a.yaml': ws({ name: 'one', owner: 'alice' }),
      'b.yaml': docs(ws({ name: 'x', owner: 'bob' }), ws({ name: 'two', owner: 'ALICE', coderName: 'One' })),
    });
    const result = await loadDeclarations(['a.yaml', 'b.yaml'], { cwd: root });
    const message =
      'alice/one is declared twice: a.yaml document 1 and b.yaml document 2 (a Coder workspace name is unique per owner, ignoring case)';
    expect(result.errors).toEqual([
      { file: 'a.yaml', document: 1, field: 'metadata.name', line: 4, column: 3, message },
      { file: 'b.yaml', document: 2, field: 'spec.name', line: 18, column: 3, message },
    ]);
  });

  it('finds the same namespace/name across files', async () => {
    await tree({ 'a.yaml': ws({ owner: 'alice' }), 'b.yaml': ws({ owner: 'bob' }) });
    const result = await loadDeclarations(['a.yaml', 'b.yaml'], { cwd: root });
    expect(result.errors.map((e) => [e.file, e.field, e.line, e.message])).toEqual([
      [
        'a.yaml',
        'metadata.name',
        4,
        'default/dev is declared twice: a.yaml document 1 and b.yaml document 1 (namespace/name must be unique)',
      ],
      [
        'b.yaml',
        'metadata.name',
        4,
        'default/dev is declared twice: a.yaml document 1 and b.yaml document 1 (namespace/name must be unique)',
      ],
    ]);
  });

  it('reads a file reached twice only once', async () => {
    await tree({ 'decl/a.yaml': ws() });
    const result = await loadDeclarations(['decl/a.yaml', 'decl'], { cwd: root });
    expect(result.errors).toEqual([]);
    expect(result.workspaces).toHaveLength(1);
  });

  it('follows symlinks without looping', async () => {
    await tree({ 'decl/a.yaml': ws() });
    await symlink(join(root, 'decl'), join(root, 'decl', 'loop'));
    const result = await loadDeclarations(['decl'], { cwd: root });
    expect(result.errors).toEqual([]);
    expect(result.workspaces.map((w) => w.source.file)).toEqual([join('decl', 'a.yaml')]);
  });
});
