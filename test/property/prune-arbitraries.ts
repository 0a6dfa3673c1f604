// Generated sequences of runs for the prune and identity properties: what
// the sources declare (added, changed, removed, renamed by metadata.name
// and by spec.name), owners in every spelling, every policy, and runs with
// either token, with and without --prune, bounded or not, taking a state
// over or not, and dying at any call.
import fc from 'fast-check';
import type { CrashMode } from './sim-in-process.ts';
import {
  CODER_NAMES,
  META_NAMES,
  SHARED_NAMES,
  SOURCES,
  TOKENS,
  USERS,
  type Command,
  type Decl,
  type Scenario,
  type Spelling,
} from './prune-world.ts';

// `me` twice: it is the spelling whose meaning depends on the run's token.
const SPELLINGS: Spelling[] = ['lower', 'upper', 'mixed', 'uuid', 'UUID', 'me', 'me'];

// A declaration mostly names a workspace of its own (`wa` for `a`), sometimes a shared one: two declarations of one
// owner + name are refused before apply, and a source that keeps one would prove nothing more for the rest of a sequence.
const decl: fc.Arbitrary<Decl> = fc.constantFrom(...META_NAMES).chain((meta) =>
  fc.record({
    meta: fc.constant(meta),
    owner: fc.constantFrom(...USERS),
    spelling: fc.constantFrom(...SPELLINGS),
    name: fc.oneof(
      { weight: 3, arbitrary: fc.constant(`w${meta}` as Decl['name']) },
      { weight: 2, arbitrary: fc.constantFrom(...SHARED_NAMES) },
    ),
    policy: fc.constantFrom<Decl['policy']>('Delete', 'Delete', 'Orphan', undefined),
    // Mostly managed and active: observe-only and suspended declarations are the exceptions that must hold.
    observe: fc.nat(3).map((n) => n === 0),
    suspend: fc.nat(5).map((n) => n === 0),
  }),
);

/** Each scenario uses two or three of the sources, so runs meet each other's workspaces often. */
const scenario: fc.Arbitrary<Scenario> = fc
  .tuple(
    fc.uniqueArray(fc.nat(SOURCES.length - 1), { minLength: 1, maxLength: 3 }),
    fc.array(fc.nat(1), { minLength: SOURCES.length, maxLength: SOURCES.length }),
  )
  .chain(([used, stateOf]) => {
    // Most commands go to one source, so its declarations come and go between its own runs; the others meet it.
    const source = fc.oneof({ weight: 3, arbitrary: fc.constant(used[0]!) }, { weight: 2, arbitrary: fc.constantFrom(...used) });
    const declare = fc.record({ kind: fc.constant('declare' as const), source, decl });
    const command: fc.Arbitrary<Command> = fc.oneof(
      { weight: 3, arbitrary: declare },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('remove' as const), source, meta: fc.constantFrom(...META_NAMES) }) },
      {
        // metadata.name renamed, the owner sometimes written another way at the same time.
        weight: 2,
        arbitrary: fc.record(
          {
            kind: fc.constant('rename' as const),
            source,
            from: fc.constantFrom(...META_NAMES),
            to: fc.constantFrom(...META_NAMES),
            spelling: fc.constantFrom(...SPELLINGS),
          },
          { requiredKeys: ['kind', 'source', 'from', 'to'] },
        ),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('rename-coder' as const),
          source,
          meta: fc.constantFrom(...META_NAMES),
          to: fc.constantFrom(...CODER_NAMES),
        }),
      },
      {
        weight: 5,
        arbitrary: fc.record(
          {
            kind: fc.constant('run' as const),
            source,
            token: fc.constantFrom(TOKENS[0], TOKENS[0], TOKENS[0], TOKENS[1]),
            prune: fc.nat(4).map((n) => n > 0),
            maxPrune: fc.oneof({ weight: 2, arbitrary: fc.constant('all' as const) }, { weight: 3, arbitrary: fc.nat(2) }),
            defaultPolicy: fc.constantFrom<'Delete' | 'Orphan'>('Delete', 'Orphan'),
            takeover: fc.nat(4).map((n) => n === 0),
            // One run in four dies, at one of its first ten calls (a run that makes fewer lives).
            crash: fc.oneof(
              { weight: 3, arbitrary: fc.constant(undefined) },
              {
                weight: 1,
                arbitrary: fc.record({ at: fc.integer({ min: 1, max: 10 }), mode: fc.constantFrom<CrashMode>('before', 'after') }),
              },
            ),
          },
          { requiredKeys: ['kind', 'source', 'token', 'prune', 'maxPrune', 'defaultPolicy', 'takeover'] },
        ),
      },
    );
    // Sources start with a few declarations: an emptied source is refused before apply, and would prove little.
    return fc
      .tuple(fc.array(declare, { minLength: 2, maxLength: 6 }), fc.array(command, { minLength: 5, maxLength: 16 }))
      .map(([first, rest]): Scenario => ({ stateOf, commands: [...first, ...rest] }));
  });

export const scenarios = scenario;
