// No WorkspaceSet child ever takes a name another document of the run holds
// (another set's child, a hand-written Workspace): over generated runs of
// sets with overlapping members and child name patterns, beside hand-written
// Workspaces, the CLI's expansion (src/gitops/set-expansion.ts) either
// declares children with names nobody else declares, or stops with an error
// that names both documents. A failure prints the seed and path: replay
// with CWO_PROPERTY_SEED / CWO_PROPERTY_PATH.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Workspace, WorkspaceSet } from '../../src/api/schema.ts';
import type { MemberReader } from '../../src/fleet/generators.ts';
import type { LoadedSet, LoadedWorkspace } from '../../src/gitops/declaration.ts';
import { expandSets } from '../../src/gitops/set-expansion.ts';

const RUNS = Number(process.env.CWO_PROPERTY_RUNS ?? 500);
const SEED = process.env.CWO_PROPERTY_SEED ? Number(process.env.CWO_PROPERTY_SEED) : 0x21_0c01;

const USERS = ['alice', 'bob', 'carol', 'dave'] as const;
// Patterns that meet each other: the same prefix in two sets, a fixed name, a bare username.
const PATTERNS = [undefined, 'ws-{{username}}', '{{username}}', 'devs-{{username}}', 'shared'] as const;
const NAMESPACES = ['team-a', 'team-b'] as const;

interface GenSet {
  name: 'devs' | 'ops' | 'ws';
  namespace: (typeof NAMESPACES)[number];
  pattern: (typeof PATTERNS)[number];
  members: string[];
}

const genSet: fc.Arbitrary<GenSet> = fc.record({
  name: fc.constantFrom('devs', 'ops', 'ws'),
  namespace: fc.constantFrom(...NAMESPACES),
  pattern: fc.constantFrom(...PATTERNS),
  members: fc.subarray([...USERS], { minLength: 1 }),
});
const genHand = fc.record({
  namespace: fc.constantFrom(...NAMESPACES),
  name: fc.constantFrom('devs-alice', 'ws-bob', 'carol', 'shared', 'ops-dave', 'unrelated'),
});

const reader: MemberReader = {
  listUsers: async () => [],
  listGroupMembers: async () => [],
};

function loadedSet(g: GenSet, i: number): LoadedSet {
  const set: WorkspaceSet = {
    apiVersion: 'coderops.dev/v1alpha1',
    kind: 'WorkspaceSet',
    metadata: { name: g.name, namespace: g.namespace },
    spec: {
      generators: [{ list: { elements: g.members.map((username) => ({ username })) } }],
      template: { ...(g.pattern ? { metadata: { name: g.pattern } } : {}), spec: { template: 'docker' } },
    },
  };
  return { source: { file: `set-${i}.yaml`, document: 1 }, set, key: `${g.namespace}/${g.name}` };
}

function handWritten(h: { namespace: string; name: string }, i: number): LoadedWorkspace {
  const workspace: Workspace = {
    apiVersion: 'coderops.dev/v1alpha1',
    kind: 'Workspace',
    metadata: { name: h.name, namespace: h.namespace },
    spec: { owner: 'admin', template: 'docker' },
  };
  return { source: { file: `hand-${i}.yaml`, document: 1 }, workspace, key: `${h.namespace}/${h.name}`, coderName: h.name };
}

describe('WorkspaceSet children never take another document’s name (generated runs)', () => {
  it(`${RUNS} runs: distinct names, or an error naming both documents`, async () => {
    let collisions = 0;
    let clean = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(genSet, { minLength: 1, maxLength: 3, selector: (s) => `${s.namespace}/${s.name}` }),
        fc.uniqueArray(genHand, { maxLength: 3, selector: (h) => `${h.namespace}/${h.name}` }),
        async (sets, hands) => {
          const loaded = sets.map(loadedSet);
          const workspaces = hands.map(handWritten);
          const out = await expandSets({
            sets: loaded,
            workspaces,
            state: undefined,
            reader,
            bounds: { maxMembers: 100 },
            acknowledged: [],
            defaultDeletionPolicy: 'Orphan',
          });
          // Every child key, with the document that declares it.
          const owners = new Map<string, string[]>();
          const claim = (key: string, by: string) => owners.set(key, [...(owners.get(key) ?? []), by]);
          for (const w of workspaces) claim(w.key, w.source.file);
          for (const c of out.children) claim(c.key, c.source.file);
          const taken = [...owners].filter(([, by]) => by.length > 1);
          if (out.errors.length === 0) {
            expect(taken, 'two documents declare one Workspace and no error was raised').toEqual([]);
            clean++;
            return;
          }
          collisions++;
          for (const e of out.errors) {
            // Which documents the message names: the set's own file and the holder's.
            const named = [...e.message.matchAll(/((?:set|hand)-\d+\.yaml)/g)].map((m) => m[1]);
            expect(named, e.message).toContain(e.file);
            if (/has the name of/.test(e.message)) expect(new Set(named).size, e.message).toBeGreaterThanOrEqual(2);
          }
        },
      ),
      { numRuns: RUNS, seed: SEED, ...(process.env.CWO_PROPERTY_PATH ? { path: process.env.CWO_PROPERTY_PATH } : {}) },
    );
    console.log(`collision property: ${RUNS} runs, seed ${SEED}, ${collisions} refused, ${clean} clean`);
    expect(collisions).toBeGreaterThan(RUNS / 10);
    expect(clean).toBeGreaterThan(RUNS / 10);
  });
});
