// Issue 21 item 2, the operator door's safety rules over generated sequences:
// membership changes, generators failing, sync policy and maxRemovals edits,
// acknowledgements (the value the set showed, or a made-up one), Workspaces
// made by hand under a child's name and with the set's labels, children
// deleted by hand, a cache lagging behind the writes, and operator restarts,
// each followed by passes of the real SetReconciler against set-world.ts.
// Invariants, checked after every pass:
//   - a pass whose generators failed writes no child;
//   - a child is deleted only under createDelete, only if the set controls it
//     (ownerReference uid) and its member is not in that pass's successful
//     expansion; never more than maxRemovals in a pass unless the set carries
//     the acknowledgement it showed for that held pass;
//   - a pass with no members after members deletes nothing unacknowledged;
//   - a Workspace the set does not control is never created over, updated or deleted;
//   - at most one child per member;
//   - steady state: the same pass again writes nothing to a child, and a third nothing at all.
// >= 1,000 sequences per run with a fixed seed; fast-check prints the seed and
// the shrunk sequence on failure (replay: FC_SEED=<seed>).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SyncPolicy, Workspace } from '../../../../src/api/schema.ts';
import { CoderApiError, CoderNetworkError } from '../../../../src/coder/errors.ts';
import { ACKNOWLEDGE_REMOVALS } from '../../../../src/controller/workspaceset/acknowledge.ts';
import { condition, NS, SET, SET_UID, SetWorld, users, workspaceSet } from './set-world.ts';

const SEED = Number(process.env.FC_SEED ?? 20261207);
const RUNS = Number(process.env.FC_RUNS ?? 1000);
const POOL = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'] as const;

type Command =
  | { kind: 'members'; mask: number }
  | { kind: 'fail'; how: 'down' | 'forbidden' }
  | { kind: 'policy'; policy: SyncPolicy }
  | { kind: 'maxRemovals'; n: number }
  | { kind: 'ack'; genuine: boolean }
  | { kind: 'foreign'; user: number }
  | { kind: 'deleteByHand'; user: number }
  | { kind: 'lag'; on: boolean }
  | { kind: 'restart' }
  | { kind: 'pass' };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('members' as const), mask: fc.integer({ min: 0, max: 63 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fail' as const), how: fc.constantFrom('down' as const, 'forbidden' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('policy' as const),
      policy: fc.constantFrom<SyncPolicy>('createOnly', 'createUpdate', 'createDelete', 'createDelete'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('maxRemovals' as const), n: fc.integer({ min: 0, max: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('ack' as const), genuine: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('foreign' as const), user: fc.integer({ min: 0, max: POOL.length - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteByHand' as const), user: fc.integer({ min: 0, max: POOL.length - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('lag' as const), on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
  { weight: 6, arbitrary: fc.constant({ kind: 'pass' as const }) },
);

function controlled(ws: Workspace): boolean {
  const refs = (ws.metadata as { ownerReferences?: Array<{ uid: string; controller?: boolean }> }).ownerReferences;
  return refs?.some((r) => r.controller && r.uid === SET_UID) ?? false;
}

async function runSequence(commands: Command[]): Promise<void> {
  const world = new SetWorld(workspaceSet({ syncPolicy: 'createDelete', maxRemovals: 2 }));
  let members: string[] = ['u0', 'u1', 'u2'];
  let failing: 'down' | 'forbidden' | undefined;
  world.users = () => {
    if (failing === 'forbidden')
      throw new CoderApiError({ status: 403, method: 'GET', path: '/api/v2/users', response: { message: 'no' } });
    if (failing === 'down')
      throw new CoderNetworkError({ method: 'GET', path: '/api/v2/users', cause: new Error('down'), timedOut: false });
    return users(...members);
  };
  /** The acknowledgement the set last showed in a held pass. */
  let shown: string | undefined;

  const pass = async (label: string) => {
    const before = new Map([...world.workspaces].map(([k, w]) => [k, w]));
    const set = world.set();
    const policy = set.spec.syncPolicy ?? 'createUpdate';
    const maxRemovals = set.spec.maxRemovals ?? 10;
    const annotation = set.metadata.annotations?.[ACKNOWLEDGE_REMOVALS];
    const previousMembers = set.status?.lastMembers ?? 0;
    const from = world.writes.length;
    await world.pass();
    const writes = world.writes.slice(from);
    const childWrites = writes.filter((w) => w !== 'status');
    const deleted = writes.filter((w) => w.startsWith('delete:')).map((w) => w.slice('delete:'.length));
    const context = `${label}: ${JSON.stringify({ writes, members, failing, policy, maxRemovals })}`;

    if (failing) expect(childWrites, `a failed generator wrote children (${context})`).toEqual([]);
    if (deleted.length > 0) expect(policy, context).toBe('createDelete');
    for (const name of deleted) {
      const ws = before.get(`${NS}/${name}`);
      expect(ws && controlled(ws), `deleted ${name}, not the set's (${context})`).toBe(true);
      const member = ws!.metadata.labels?.['coderops.dev/member'];
      expect(
        members.map((m) => m.toLowerCase()),
        `deleted a member's child ${name} (${context})`,
      ).not.toContain(member?.toLowerCase());
    }
    const acknowledged = annotation !== undefined && annotation === shown;
    if (deleted.length > maxRemovals)
      expect(acknowledged, `${deleted.length} removals > ${maxRemovals} unacknowledged (${context})`).toBe(true);
    if (members.length === 0 && previousMembers > 0 && deleted.length > 0)
      expect(acknowledged, `emptied a set that had members (${context})`).toBe(true);
    for (const w of writes.filter((x) => x !== 'status')) {
      const name = w.slice(w.indexOf(':') + 1);
      const ws = before.get(`${NS}/${name}`);
      if (ws) expect(controlled(ws), `wrote ${w} to a Workspace the set does not control (${context})`).toBe(true);
    }
    const perMember = new Map<string, number>();
    for (const c of world.children()) {
      if (c.metadata.deletionTimestamp) continue;
      const m = c.metadata.labels?.['coderops.dev/member']?.toLowerCase() ?? '';
      perMember.set(m, (perMember.get(m) ?? 0) + 1);
    }
    for (const [m, n] of perMember) expect(n, `member ${m} has ${n} children (${context})`).toBe(1);
    const stalled = condition(world.set(), 'Stalled')?.message ?? '';
    const match = new RegExp(`${ACKNOWLEDGE_REMOVALS}=(\\S+)`).exec(stalled);
    if (match) shown = match[1];
  };

  for (const [i, c] of commands.entries()) {
    switch (c.kind) {
      case 'members':
        members = POOL.filter((_, b) => c.mask & (1 << b));
        failing = undefined;
        break;
      case 'fail':
        failing = c.how;
        break;
      case 'policy':
        world.editSet({ syncPolicy: c.policy });
        break;
      case 'maxRemovals':
        world.editSet({ maxRemovals: c.n });
        break;
      case 'ack':
        world.annotateSet({ [ACKNOWLEDGE_REMOVALS]: c.genuine && shown ? shown : 'remove-000000000000' });
        break;
      case 'foreign': {
        const name = `${SET}-${POOL[c.user]}`;
        if (!world.workspaces.has(`${NS}/${name}`))
          world.putWorkspace({
            apiVersion: 'coderops.dev/v1alpha1',
            kind: 'Workspace',
            metadata: {
              name,
              namespace: NS,
              uid: `hand-${i}`,
              resourceVersion: '1',
              labels: { 'coderops.dev/workspace-set': SET, 'coderops.dev/member': POOL[c.user]! },
            },
            spec: { owner: POOL[c.user]!, template: 'docker' },
          });
        break;
      }
      case 'deleteByHand': {
        const key = `${NS}/${SET}-${POOL[c.user]}`;
        const ws = world.workspaces.get(key);
        if (ws && controlled(ws)) world.deleteWorkspace(key);
        break;
      }
      case 'lag':
        world.lagging = c.on;
        if (!c.on) world.flush();
        break;
      case 'restart':
        world.restart();
        break;
      case 'pass': {
        // Past any refresh or retry: every pass reads the generators.
        world.advance(61_000);
        await pass(`step ${i}`);
        if (world.lagging) break;
        // The same pass again: no child write; and once more: nothing at all.
        const from = world.writes.length;
        await pass(`step ${i} again`);
        expect(
          world.writes.slice(from).filter((w) => w !== 'status'),
          `step ${i}: a repeated pass wrote children`,
        ).toEqual([]);
        const settled = world.writes.length;
        await pass(`step ${i} third`);
        expect(world.writes.slice(settled), `step ${i}: a third identical pass wrote`).toEqual([]);
        break;
      }
    }
  }
}

describe('WorkspaceSet reconciler: safety over generated sequences', () => {
  it(`holds the membership rules (${RUNS} sequences, seed ${SEED})`, { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(commandArb, { minLength: 1, maxLength: 30 }), (commands) => runSequence(commands)),
      { seed: SEED, numRuns: RUNS, verbose: 1 },
    );
  });
});
