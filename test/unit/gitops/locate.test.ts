import { LineCounter, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { locate, parseFieldPath, type PathSegment } from '../../../src/gitops/locate.ts';

describe('parseFieldPath', () => {
  it.each<[string, PathSegment[]]>([
    ['metadata.name', ['metadata', 'name']],
    ['spec.parameters[2].name', ['spec', 'parameters', 2, 'name']],
    ['items[3].spec.ttl', ['items', 3, 'spec', 'ttl']],
    ['metadata.labels["app.kubernetes.io/name"]', ['metadata', 'labels', 'app.kubernetes.io/name']],
    ['a["say \\"hi\\""]', ['a', 'say "hi"']],
    ["metadata.labels['a.b']", ['metadata', 'labels', 'a.b']],
    ['', []],
  ])('%s', (path, segments) => {
    expect(parseFieldPath(path)).toEqual(segments);
  });
});

const TEXT = `# leading comment
---
a: 1
---
metadata:
  labels:
    app.kubernetes.io/name: x
spec:
  list:
    - name: first
    - name: second
      value: v
  flow: { x: 1, y: [10, 20] }
  alias: &ref
    inner: 1
  other: *ref
`;

describe('locate', () => {
  const lines = new LineCounter();
  const second = parseAllDocuments(TEXT, { lineCounter: lines })[1]!;

  it.each<[string, { line: number; column: number }]>([
    ['spec', { line: 8, column: 1 }],
    ['spec.list[1].value', { line: 12, column: 7 }],
    ['spec.list[1]', { line: 11, column: 7 }],
    ['spec.flow.y[1]', { line: 13, column: 25 }],
    ['metadata.labels["app.kubernetes.io/name"]', { line: 7, column: 5 }],
    ['spec.other.inner', { line: 15, column: 5 }],
    // Missing fields point at their nearest present parent.
    ['spec.list[1].missing', { line: 11, column: 7 }],
    ['spec.list[9].name', { line: 9, column: 3 }],
    ['spec.flow.x.deeper', { line: 13, column: 11 }],
    ['nothing.here', { line: 5, column: 1 }],
    ['', { line: 5, column: 1 }],
  ])('%s', (path, position) => {
    expect(locate(second, lines, path)).toEqual(position);
  });
});
