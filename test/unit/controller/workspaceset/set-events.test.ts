// The Events a pass records on its set: one per member who joined or left, up
// to EVENTS_PER_KIND of a kind; beyond that one Event that names a few and
// counts the rest, so a 10,000-member set does not write 10,000 Events.
import { describe, expect, it } from 'vitest';
import { EVENTS_PER_KIND, joinEvents, type Left, leaveEvents } from '../../../../src/controller/workspaceset/set-events.ts';

const names = (n: number) => Array.from({ length: n }, (_, i) => `user${i}`);
const left = (n: number, removed: boolean, deletionPolicy: Left['deletionPolicy'] = 'Orphan'): Left[] =>
  names(n).map((member) => ({ member, child: `devs-${member}`, removed, deletionPolicy }));

describe('WorkspaceSet Events', () => {
  it('joins: one Event each up to the limit, then one that sums them up', () => {
    expect(joinEvents([])).toEqual([]);
    const few = joinEvents(names(EVENTS_PER_KIND).map((member) => ({ member, child: `devs-${member}` })));
    expect(few).toHaveLength(EVENTS_PER_KIND);
    expect(few[0]).toEqual({
      type: 'Normal',
      reason: 'MemberJoined',
      action: 'Create',
      note: 'user0 joined: created Workspace devs-user0',
    });
    const many = joinEvents(names(EVENTS_PER_KIND + 1).map((member) => ({ member, child: `devs-${member}` })));
    expect(many).toHaveLength(1);
    expect(many[0]).toMatchObject({ type: 'Normal', reason: 'MemberJoined', action: 'Create' });
    expect(many[0]!.note).toMatch(new RegExp(`^${EVENTS_PER_KIND + 1} members joined: created their Workspaces \\(user0, `));
  });

  it('leaves: removed and kept counted apart, each one by one up to the limit, then summed', () => {
    expect(leaveEvents([], 'createDelete')).toEqual([]);
    const few = leaveEvents([...left(2, true, 'Delete'), ...left(1, false)], 'createUpdate');
    expect(few.map((e) => [e.action, e.note])).toEqual([
      [
        'Delete',
        'user0 left: deleted Workspace devs-user0 (syncPolicy createDelete); its Coder workspace is deleted (deletionPolicy Delete)',
      ],
      [
        'Delete',
        'user1 left: deleted Workspace devs-user1 (syncPolicy createDelete); its Coder workspace is deleted (deletionPolicy Delete)',
      ],
      ['Reconcile', 'user0 left: Workspace devs-user0 kept (syncPolicy createUpdate never removes a child)'],
    ]);
    const n = EVENTS_PER_KIND + 2;
    const many = leaveEvents([...left(n, true), ...left(n, false)], 'createOnly');
    expect(many.map((e) => [e.reason, e.action])).toEqual([
      ['MemberLeft', 'Delete'],
      ['MemberLeft', 'Reconcile'],
    ]);
    expect(many[0]!.note).toMatch(
      new RegExp(
        `^${n} members left: deleted their Workspaces \\(syncPolicy createDelete; user0, .*\\); ${n} Coder workspaces orphaned, 0 deleted`,
      ),
    );
    expect(many[1]!.note).toMatch(
      new RegExp(`^${n} members left: their Workspaces kept \\(syncPolicy createOnly never removes a child; user0, `),
    );
  });
});
