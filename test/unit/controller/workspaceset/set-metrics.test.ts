// The WorkspaceSet series as docs/monitoring.md lists them: names, types and
// labels on the operator's registry, one set of series however many
// controllers share the registry, and a deleted set's series removed.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SetMetrics } from '../../../../src/controller/workspaceset/set-metrics.ts';

describe('WorkspaceSet metrics', () => {
  it('registers the five documented series once per registry, and a set’s values come and go with it', async () => {
    const registry = new Registry();
    const metrics = new SetMetrics({ registry });
    const again = new SetMetrics({ registry });
    expect(again.members).toBe(metrics.members);
    expect(again.childWrites).toBe(metrics.childWrites);
    const described = (await registry.getMetricsAsJSON()).map((m) => [m.name, m.type]);
    expect(described.sort()).toEqual([
      ['cwo_workspaceset_child_writes_total', 'counter'],
      ['cwo_workspaceset_children', 'gauge'],
      ['cwo_workspaceset_held', 'gauge'],
      ['cwo_workspaceset_members', 'gauge'],
      ['cwo_workspaceset_refreshes_total', 'counter'],
    ]);

    metrics.record('team-a', 'devs', 3, { children: 3, ready: 2, updating: 1, failed: 0 }, true);
    metrics.refreshes.inc({ result: 'ok' });
    metrics.childWrites.inc({ verb: 'create', result: 'ok' }, 3);
    const text = await registry.metrics();
    expect(text).toContain('cwo_workspaceset_members{namespace="team-a",name="devs"} 3');
    expect(text).toContain('cwo_workspaceset_children{namespace="team-a",name="devs",state="updating"} 1');
    expect(text).toContain('cwo_workspaceset_held{namespace="team-a",name="devs"} 1');
    expect(text).toContain('cwo_workspaceset_refreshes_total{result="ok"} 1');
    expect(text).toContain('cwo_workspaceset_child_writes_total{verb="create",result="ok"} 3');

    metrics.forget('team-a', 'devs');
    expect(await registry.metrics()).not.toContain('name="devs"');
  });
});
