import { describe, expect, it } from 'vitest';
import { formatDeclarationError, loadFromText, type DeclarationError } from '../../../src/gitops/load.ts';
import { CLUSTER_CONNECTION, CONNECTION, docs, workspaceYaml as ws } from './fixtures.ts';

interface Case {
  name: string;
  text: string;
  /** Expected keys of the valid workspaces, with their document index. */
  workspaces?: [key: string, document: number, coderName?: string][];
  /** Matched in order, each with toMatchObject. */
  errors?: (Partial<Omit<DeclarationError, 'message'>> & { message?: string | RegExp })[];
  ignored?: { document: number; kind: string }[];
}

const LIST = `apiVersion: v1
kind: List
items:
  - apiVersion: coderops.dev/v1alpha1
    kind: Workspace
    metadata: { name: one }
    spec: { owner: alice, template: docker }
  - apiVersion: coderops.dev/v1alpha1
    kind: Workspace
    metadata:
      name: two
    spec:
      owner: alice
      template: docker
      ttl: forever
`;

const cases: Case[] = [
  { name: 'one workspace, namespace defaults to default', text: ws(), workspaces: [['default/dev', 1, 'dev']] },
  {
    name: 'namespace and spec.name',
    text: ws({ namespace: 'team-a', coderName: 'box' }),
    workspaces: [['team-a/dev', 1, 'box']],
  },
  {
    name: 'multi-document, empty and comment-only documents skipped but counted',
    text: `${ws({ name: 'a' })}---\n---\n# nothing here\n---\n${ws({ name: 'b', owner: 'bob' })}`,
    workspaces: [
      ['default/a', 1],
      ['default/b', 4],
    ],
  },
  // Read as "nothing declared", apply --prune would delete all such a file used to declare.
  { name: 'empty file', text: '', workspaces: [], errors: [{ message: /^declares nothing/ }] },
  { name: 'only comments', text: '# todo\n', workspaces: [], errors: [{ message: /^declares nothing/ }] },
  { name: 'only document separators', text: '---\n---\n', workspaces: [], errors: [{ message: /^declares nothing/ }] },
  {
    name: 'a List without items',
    text: 'apiVersion: v1\nkind: List\nitems: []\n',
    workspaces: [],
    errors: [{ message: /^declares nothing/ }],
  },
  {
    name: 'Lists without items, nested',
    text: 'apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: List, items: []}\n---\n# and nothing else\n',
    workspaces: [],
    errors: [{ message: /^declares nothing/ }],
  },
  // With --prune a run of only connections is refused (run.ts); a file of them is not wrong by itself.
  { name: 'a connection alone declares something', text: CONNECTION, workspaces: [], ignored: [{ document: 1, kind: 'CoderConnection' }] },
  {
    name: 'JSON',
    text: JSON.stringify(
      { apiVersion: 'coderops.dev/v1alpha1', kind: 'Workspace', metadata: { name: 'j' }, spec: { owner: 'alice', template: 'docker' } },
      null,
      '\t',
    ),
    workspaces: [['default/j', 1]],
  },
  {
    name: 'List: items expand, document index stays the List, field paths are prefixed',
    text: docs(ws({ name: 'first', owner: 'zed' }), LIST.replace('ttl: forever', 'ttl: 8h')),
    workspaces: [
      ['default/first', 1],
      ['default/one', 2],
      ['default/two', 2],
    ],
  },
  {
    name: 'List: an invalid item points into the item',
    text: docs(ws({ name: 'first', owner: 'zed' }), LIST),
    workspaces: [
      ['default/first', 1],
      ['default/one', 2],
    ],
    errors: [{ document: 2, field: 'items[1].spec.ttl', line: 25, column: 7 }],
  },
  {
    name: 'List without items',
    text: 'apiVersion: v1\nkind: List\n',
    errors: [{ document: 1, field: 'items', message: /items sequence/ }],
  },
  {
    name: 'a field error points at its line',
    text: docs(ws(), ws({ name: 'other', owner: 'bob', ttl: 'soon' })),
    workspaces: [['default/dev', 1]],
    errors: [{ file: 'f.yaml', document: 2, field: 'spec.ttl', line: 18, column: 3 }],
  },
  {
    name: 'a missing required field points at its parent',
    text: 'apiVersion: coderops.dev/v1alpha1\nkind: Workspace\nmetadata:\n  name: dev\nspec:\n  template: docker\n',
    errors: [{ document: 1, line: 5, column: 1 }],
  },
  {
    name: 'a wrong parameter points into the sequence',
    text: `${ws()}  parameters:\n    - name: region\n      value: eu\n    - name: ""\n      value: x\n`,
    errors: [{ field: 'spec.parameters[1].name', line: 12, column: 7 }],
  },
  {
    name: 'YAML syntax error: position from the parser, other documents still checked',
    text: docs(ws(), 'foo: bar: baz\n', ws({ name: 'other', owner: 'bob', ttl: 'x' })),
    workspaces: [['default/dev', 1]],
    errors: [
      { document: 2, line: 11, column: 6, message: 'Nested mappings are not allowed in compact mappings' },
      { document: 3, field: 'spec.ttl', line: 20, column: 3 },
    ],
  },
  {
    name: 'duplicate mapping key is a syntax error',
    text: `${ws()}spec:\n  owner: bob\n`,
    errors: [{ document: 1, line: 9, column: 1, message: /unique/ }],
  },
  {
    name: 'unknown kind says what is supported',
    text: docs(ws(), 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n'),
    workspaces: [['default/dev', 1]],
    errors: [
      {
        document: 2,
        field: 'kind',
        line: 12,
        column: 1,
        message:
          'unsupported kind "Deployment" (apiVersion "apps/v1"); supported are Workspace, WorkspaceSet, CoderConnection and ' +
          'ClusterCoderConnection (apiVersion coderops.dev/v1alpha1), and List (apiVersion v1)',
      },
    ],
  },
  {
    name: 'missing kind',
    text: 'metadata:\n  name: x\n',
    errors: [{ document: 1, line: 1, column: 1, message: /^missing kind \(apiVersion missing\); supported are/ }],
  },
  {
    name: 'our kind with another apiVersion',
    text: ws().replace('coderops.dev/v1alpha1', 'coderops.dev/v1'),
    errors: [{ field: 'apiVersion', line: 1, message: 'Workspace needs apiVersion coderops.dev/v1alpha1, found "coderops.dev/v1"' }],
  },
  {
    name: 'a document that is not a mapping',
    text: docs(ws(), '- a\n- b\n'),
    workspaces: [['default/dev', 1]],
    errors: [{ document: 2, line: 11, message: 'expected a mapping with apiVersion and kind, found a sequence' }],
  },
  {
    name: 'connections are validated, then ignored',
    text: docs(CONNECTION, ws(), CLUSTER_CONNECTION),
    workspaces: [['default/dev', 2]],
    ignored: [
      { document: 1, kind: 'CoderConnection' },
      { document: 3, kind: 'ClusterCoderConnection' },
    ],
  },
  {
    name: 'an invalid connection is an error',
    text: CONNECTION.replace('  url: https://coder.example.com\n', ''),
    errors: [{ document: 1, field: 'spec.url', line: 5, column: 1, message: 'is required' }],
  },
  {
    name: 'a ClusterCoderConnection without the Secret namespace points at tokenSecretRef',
    text: docs(ws(), CLUSTER_CONNECTION.replace('    namespace: coder\n', '')),
    workspaces: [['default/dev', 1]],
    errors: [{ document: 2, field: 'spec.tokenSecretRef.namespace', line: 17, column: 3 }],
  },
  {
    name: 'an unknown field points at itself',
    text: `${ws()}  bogus: 1\n`,
    errors: [{ field: 'spec.bogus', line: 9, column: 3, message: /unknown field "bogus"/ }],
  },
  {
    name: 'the same namespace/name twice: an error at both places',
    text: docs(ws({ owner: 'alice' }), ws({ owner: 'bob' })),
    workspaces: [
      ['default/dev', 1],
      ['default/dev', 2],
    ],
    errors: [
      {
        document: 1,
        field: 'metadata.name',
        line: 5,
        column: 3,
        message: 'default/dev is declared twice: f.yaml document 1 and f.yaml document 2 (namespace/name must be unique)',
      },
      {
        document: 2,
        field: 'metadata.name',
        line: 14,
        column: 3,
        message: 'default/dev is declared twice: f.yaml document 1 and f.yaml document 2 (namespace/name must be unique)',
      },
    ],
  },
  {
    name: 'one name in two namespaces for two owners is fine',
    text: docs(ws({ namespace: 'a' }), ws({ namespace: 'b', owner: 'bob' })),
    workspaces: [
      ['a/dev', 1],
      ['b/dev', 2],
    ],
  },
  {
    name: 'the same owner and Coder name, ignoring case, from two resources',
    text: docs(ws({ name: 'a', owner: 'Alice', coderName: 'Dev' }), ws({ name: 'b', owner: 'alice', coderName: 'dev' })),
    workspaces: [
      ['default/a', 1],
      ['default/b', 2],
    ],
    errors: [
      {
        document: 1,
        field: 'spec.name',
        line: 9,
        column: 3,
        message: /^Alice\/Dev is declared twice: f\.yaml document 1 and f\.yaml document 2/,
      },
      { document: 2, field: 'spec.name', line: 19, column: 3 },
    ],
  },
  {
    name: 'the Coder name from metadata.name collides with a spec.name',
    text: docs(ws({ name: 'dev' }), ws({ name: 'other', coderName: 'DEV' })),
    errors: [
      { document: 1, field: 'metadata.name', line: 5 },
      { document: 2, field: 'spec.name', line: 18 },
    ],
  },
  {
    name: 'three resources for one workspace, one of them inside a List',
    text: docs(ws({ name: 'a', coderName: 'one' }), ws({ name: 'b', coderName: 'one' }), LIST.replace('ttl: forever', 'ttl: 8h')),
    errors: [
      {
        document: 1,
        field: 'spec.name',
        line: 9,
        message: /^alice\/one is declared 3 times: f\.yaml document 1, f\.yaml document 2 and f\.yaml document 3 items\[0\]/,
      },
      { document: 2, field: 'spec.name', line: 19 },
      { document: 3, field: 'items[0].metadata.name', line: 27, column: 17 },
    ],
  },
];

describe('loadFromText', () => {
  it.each(cases)('$name', (c) => {
    const result = loadFromText('f.yaml', c.text);
    expect(result.errors).toHaveLength(c.errors?.length ?? 0);
    for (const [i, want] of (c.errors ?? []).entries()) {
      const { message, ...rest } = want;
      expect(result.errors[i]).toMatchObject({ file: 'f.yaml', ...rest });
      if (message !== undefined) expect(result.errors[i]!.message).toMatch(message);
    }
    if (c.workspaces) {
      expect(result.workspaces.map((w) => [w.key, w.source.document])).toEqual(c.workspaces.map(([k, d]) => [k, d]));
      for (const [i, [, , coderName]] of c.workspaces.entries()) {
        if (coderName) expect(result.workspaces[i]!.coderName).toBe(coderName);
        expect(result.workspaces[i]!.source.file).toBe('f.yaml');
      }
    }
    expect(result.ignored.map(({ file, document, kind }) => ({ file, document, kind }))).toEqual(
      (c.ignored ?? []).map((x) => ({ file: 'f.yaml', ...x })),
    );
  });

  it('returns the validated workspace', () => {
    const [loaded] = loadFromText('f.yaml', ws({ ttl: '90m' })).workspaces;
    expect(loaded?.workspace).toMatchObject({
      apiVersion: 'coderops.dev/v1alpha1',
      kind: 'Workspace',
      metadata: { name: 'dev' },
      spec: { owner: 'alice', template: 'docker', ttl: '90m' },
    });
  });

  it('never quotes source lines in a syntax error', () => {
    const text = 'apiVersion: v1\nkind: Secret\nstringData:\n  token: s3cr3t: oops\n';
    const { errors } = loadFromText('secret.yaml', text);
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(formatDeclarationError(e)).not.toContain('s3cr3t');
  });

  it('never quotes values of a kind it does not support', () => {
    const text = 'apiVersion: v1\nkind: Secret\nstringData:\n  token: s3cr3t\n';
    const { errors } = loadFromText('secret.yaml', text);
    expect(errors).toHaveLength(1);
    expect(formatDeclarationError(errors[0]!)).not.toContain('s3cr3t');
  });

  it('survives an alias bomb', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++)
      bomb.push(
        `${'abcdefgh'[i]}: &${'abcdefgh'[i]} [${Array(10)
          .fill(`*${'abcdefgh'[i - 1]}`)
          .join(', ')}]`,
      );
    const { errors, workspaces } = loadFromText('bomb.yaml', `${bomb.join('\n')}\n`);
    expect(workspaces).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ document: 1, line: 1 });
  });
});

describe('formatDeclarationError', () => {
  it.each<[DeclarationError, string]>([
    [
      { file: 'workspaces/team-a.yaml', document: 3, field: 'spec.ttl', line: 14, column: 5, message: 'must be a duration' },
      'workspaces/team-a.yaml: document 3 (line 14:5): spec.ttl: must be a duration',
    ],
    [{ file: 'a.yaml', document: 1, line: 3, message: 'bad' }, 'a.yaml: document 1 (line 3): bad'],
    [{ file: 'a.yaml', document: 2, message: 'bad' }, 'a.yaml: document 2: bad'],
    [{ file: 'missing.yaml', message: 'no such file or directory' }, 'missing.yaml: no such file or directory'],
    [{ file: 'a.yaml', line: 2, column: 1, message: 'bad' }, 'a.yaml: line 2:1: bad'],
  ])('%j', (error, text) => {
    expect(formatDeclarationError(error)).toBe(text);
  });
});
