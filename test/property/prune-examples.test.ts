// The sequences the prune property found while it was written, shrunk by
// fast-check, kept as examples: each failed before the fix named with it.
// (prune-world.ts plays them and checks every delete against the model.)
import { describe, expect, it } from 'vitest';
import { playScenario, type Command, type Decl, type Scenario } from './prune-world.ts';
import { emptyStats } from './prune-properties.ts';

const decl = (meta: Decl['meta'], owner: Decl['owner'], name: Decl['name'], over: Partial<Decl> = {}): Decl => ({
  meta,
  owner,
  spelling: 'lower',
  name,
  policy: 'Delete',
  observe: false,
  suspend: false,
  ...over,
});
const declare = (source: number, d: Decl): Command => ({ kind: 'declare', source, decl: d });
const run = (source: number, over: Partial<Extract<Command, { kind: 'run' }>> = {}): Command => ({
  kind: 'run',
  source,
  token: 'admin',
  prune: true,
  maxPrune: 'all',
  defaultPolicy: 'Delete',
  takeover: false,
  ...over,
});
const FILES_DIR = 4;
const FILES_ONE = 5;
const A_MAIN = 0;
const A_STAGING = 2;
const alone = [0, 1, 0, 1, 0, 1];

async function play(scenario: Scenario) {
  const stats = emptyStats();
  await playScenario(scenario, stats);
  return stats;
}

describe('prune: sequences the property found', () => {
  it('c and a swap workspaces (c removed, a renamed to c): the workspace c now names is not the one deleted', async () => {
    // Before: c stayed bound to its old workspace by the state and a's entry was pruned, deleting the workspace c names.
    const stats = await play({
      stateOf: alone,
      commands: [
        declare(FILES_DIR, decl('c', 'admin', 'w1')),
        declare(FILES_DIR, decl('a', 'admin', 'hand')),
        run(FILES_DIR, { prune: false }),
        { kind: 'remove', source: FILES_DIR, meta: 'c' },
        { kind: 'rename', source: FILES_DIR, from: 'a', to: 'c' },
        run(FILES_DIR),
      ],
    });
    expect(stats.runs).toBe(2);
  });

  it('a suspended declaration of the same workspace as an active one is a duplicate, refused', async () => {
    // Before: the suspended one (observe only) was not compared, and the active one's Delete pruned their workspace later.
    const stats = await play({
      stateOf: alone,
      commands: [
        declare(FILES_ONE, decl('d', 'admin', 'w1', { spelling: 'me', observe: true, suspend: true })),
        declare(FILES_ONE, decl('e', 'admin', 'w1')),
        run(FILES_ONE, { prune: false }),
        { kind: 'remove', source: FILES_ONE, meta: 'd' },
        { kind: 'remove', source: FILES_ONE, meta: 'e' },
        declare(FILES_ONE, decl('a', 'admin', 'w3' as Decl['name'], { observe: true, suspend: true })),
        run(FILES_ONE),
      ],
    });
    expect(stats.deletes).toBe(0);
  });

  it('a source that took another over by name prunes what that one left on the same path, and only then', async () => {
    const commands: Command[] = [
      declare(A_MAIN, decl('d', 'alice', 'wd')),
      run(A_MAIN, { prune: false }),
      declare(A_STAGING, decl('a', 'admin', 'wa')),
      run(A_STAGING), // refused: the state records A#main
      run(A_STAGING, { takeover: true }),
    ];
    const stats = await play({ stateOf: [0, 0, 0, 0, 0, 0], commands });
    expect(stats.refused).toBe(1);
    expect(stats.deletes).toBe(1);
  });

  it('a declaration bound to a workspace of another owner (blocked) gives prune no right to delete it', async () => {
    // Found by the 100,000-sequence bench: e observed alice's hand-made workspace, then was changed to owner admin;
    // the blocked plan still recorded management Full and Delete, and the next prune deleted alice's workspace.
    const B_MAIN = 3;
    const stats = await play({
      stateOf: alone,
      commands: [
        declare(B_MAIN, decl('e', 'alice', 'hand', { observe: true })),
        run(B_MAIN, { prune: false }),
        declare(B_MAIN, decl('e', 'admin', 'we')),
        declare(B_MAIN, decl('c', 'bob', 'wc')),
        run(B_MAIN, { prune: false }),
        { kind: 'rename', source: B_MAIN, from: 'e', to: 'a' },
        run(B_MAIN),
      ],
    });
    expect(stats.deletes).toBe(0);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('Delete, then Observe in a run that dies at call %i, then removed: never deleted', async (at) => {
    // Without the write-ahead of narrowed policies, the dead run left Delete in the state and the next prune deleted it.
    for (const mode of ['before', 'after'] as const) {
      await play({
        stateOf: alone,
        commands: [
          declare(A_MAIN, decl('a', 'alice', 'wa')),
          declare(A_MAIN, decl('b', 'alice', 'wb')),
          run(A_MAIN, { prune: false }),
          declare(A_MAIN, decl('a', 'alice', 'wa', { observe: true })),
          declare(A_MAIN, decl('c', 'alice', 'wc')),
          run(A_MAIN, { prune: false, crash: { at, mode } }),
          { kind: 'remove', source: A_MAIN, meta: 'a' },
          run(A_MAIN),
        ],
      });
    }
  });
});
