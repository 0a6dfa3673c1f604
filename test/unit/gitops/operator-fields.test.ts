import { describe, expect, it } from 'vitest';
import type { WorkspaceStatus } from '../../../src/api/schema.ts';
import { suspendedStatus } from '../../../src/gitops/operator-fields.ts';

const at = '2026-11-01T00:00:00.000Z';
const cond = (type: string, status: 'True' | 'False', reason: string) => ({
  type,
  status,
  reason,
  message: reason,
  lastTransitionTime: at,
});

describe('suspendedStatus (CLI sync)', () => {
  it('keeps the last status, says Suspended, and drops Reconciling and Stalled: nothing is being done about it', () => {
    const previous: WorkspaceStatus = {
      id: 'w1',
      conditions: [cond('Ready', 'False', 'BuildFailed'), cond('Stalled', 'True', 'BuildFailed'), cond('Synced', 'True', 'Created')],
    };
    const s = suspendedStatus(previous, new Date('2026-11-02T00:00:00.000Z'));
    expect(s.id).toBe('w1');
    expect(s.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual(['Ready=False/BuildFailed', 'Synced=False/Suspended']);
  });
});
