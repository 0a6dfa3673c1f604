// No import cycle between two files of src/, and no import against the
// layering (docs/architecture.md: each layer imports only the ones below it).
// A cycle makes load order decide what a module sees at start-up, and a
// back-edge (gitops importing the CLI, observability importing the Coder
// client) drags a whole layer into one that should not need it. The graph is
// read with the TypeScript compiler, type-only imports included: they tie
// the files together for a reader just the same.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../../src');

/** src/-relative file → the src/ files it imports (relative specifiers only; re-exports too). */
function importGraph(): Map<string, string[]> {
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const path = join(SRC, file);
    const info = ts.preProcessFile(readFileSync(path, 'utf8'), true, true);
    const targets = info.importedFiles
      .map((f) => f.fileName)
      .filter((s) => s.startsWith('.'))
      .map((s) => relative(SRC, resolve(dirname(path), s)));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Each cycle once, as the files on it in import order (Tarjan's strongly connected components). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return found;
}

/** Cycles left on purpose, each with its reason (none today); the test fails when one is gone, so the list only shrinks. */
const KNOWN_CYCLES: string[][] = [];

/** Which top-level folders of src/ a folder may import besides itself (docs/architecture.md). */
const MAY_IMPORT: Record<string, string[]> = {
  api: [],
  // The schema's types (rollout states, statuses) are what the metrics count.
  observability: ['api'],
  kube: ['observability'],
  coder: ['api', 'observability'],
  engine: ['api', 'coder', 'observability'],
  // WorkspaceSet generators and membership, shared by both doors like the engine.
  fleet: ['api', 'coder', 'engine', 'observability'],
  gitops: ['api', 'coder', 'engine', 'fleet', 'observability'],
  controller: ['api', 'coder', 'engine', 'fleet', 'kube', 'observability'],
  cli: ['api', 'coder', 'engine', 'fleet', 'gitops', 'controller', 'kube', 'observability'],
  'coder-sim': ['api', 'coder', 'observability'],
};

/** Single files a layer may use across the layering, with the reason. */
const ALLOWED_FILES: Record<string, string> = {
  // The one exponential backoff formula; it imports nothing, so the CLI loads no Kubernetes code for it.
  'coder/backoff.ts -> kube/backoff.ts': 'shared backoff formula',
};

function backEdges(graph: Map<string, string[]>): string[] {
  const edges: string[] = [];
  for (const [from, targets] of graph) {
    const layer = from.split('/')[0]!;
    const allowed = MAY_IMPORT[layer];
    if (!allowed) continue;
    for (const to of targets) {
      const target = to.split('/')[0]!;
      const edge = `${from} -> ${to}`;
      if (target !== layer && !allowed.includes(target) && !(edge in ALLOWED_FILES)) edges.push(edge);
    }
  }
  return edges.sort();
}

describe('the import graph of src/', () => {
  const graph = importGraph();

  it('reads every file', () => {
    expect(graph.size).toBeGreaterThan(150);
  });

  it('has no cycle but the known ones', () => {
    expect(cycles(graph).sort()).toEqual(KNOWN_CYCLES);
  });

  it('has no import against the layering', () => {
    expect(backEdges(graph)).toEqual([]);
  });

  it('the cycle check itself finds a cycle of two and of three, and not a diamond', () => {
    const g = (edges: Record<string, string[]>) => new Map(Object.entries(edges));
    expect(cycles(g({ a: ['b'], b: ['a'], c: [] }))).toEqual([['a', 'b']]);
    expect(cycles(g({ a: ['b'], b: ['c'], c: ['a'] }))).toEqual([['a', 'b', 'c']]);
    expect(cycles(g({ a: ['b', 'c'], b: ['d'], c: ['d'], d: [] }))).toEqual([]);
  });
});
