// The WorkspaceSet controller's Prometheus series, registered on the
// operator's registry (observability/metrics.ts) from here so the kind's
// metrics live with the kind. One series per set and state: sets are few (a
// team has a handful), and a deleted set's series are removed.
import { Counter, Gauge } from 'prom-client';
import type { OperatorMetrics } from '../../observability/metrics.ts';
import type { ChildCounts } from './set-status.ts';

export class SetMetrics {
  readonly members: Gauge<'namespace' | 'name'>;
  readonly children: Gauge<'namespace' | 'name' | 'state'>;
  readonly held: Gauge<'namespace' | 'name'>;
  readonly refreshes: Counter<'result'>;
  readonly childWrites: Counter<'verb' | 'result'>;

  constructor(metrics: Pick<OperatorMetrics, 'registry'>) {
    const registers = [metrics.registry];
    // One set of series per registry, however many controllers share it (tests run several operators on one).
    const existing = <M>(name: string, make: () => M): M => (metrics.registry.getSingleMetric(name) as M | undefined) ?? make();
    this.members = existing(
      'cwo_workspaceset_members',
      () =>
        new Gauge({
          name: 'cwo_workspaceset_members',
          help: 'members the last expansion of a WorkspaceSet found',
          labelNames: ['namespace', 'name'] as const,
          registers,
        }),
    );
    this.children = existing(
      'cwo_workspaceset_children',
      () =>
        new Gauge({
          name: 'cwo_workspaceset_children',
          help: 'child Workspaces of a WorkspaceSet by state (ready, updating, failed)',
          labelNames: ['namespace', 'name', 'state'] as const,
          registers,
        }),
    );
    this.held = existing(
      'cwo_workspaceset_held',
      () =>
        new Gauge({
          name: 'cwo_workspaceset_held',
          help: '1 while a WorkspaceSet changes no child (a generator failed, removals wait for acknowledgement, ...), else 0',
          labelNames: ['namespace', 'name'] as const,
          registers,
        }),
    );
    this.refreshes = existing(
      'cwo_workspaceset_refreshes_total',
      () =>
        new Counter({
          name: 'cwo_workspaceset_refreshes_total',
          help: 'member expansions by result (ok, or the generator failure reason)',
          labelNames: ['result'] as const,
          registers,
        }),
    );
    this.childWrites = existing(
      'cwo_workspaceset_child_writes_total',
      () =>
        new Counter({
          name: 'cwo_workspaceset_child_writes_total',
          help: 'child Workspace writes by verb (create, update, delete) and result (ok, error)',
          labelNames: ['verb', 'result'] as const,
          registers,
        }),
    );
  }

  record(namespace: string, name: string, members: number | undefined, counts: ChildCounts, held: boolean): void {
    if (members !== undefined) this.members.set({ namespace, name }, members);
    for (const state of ['ready', 'updating', 'failed'] as const) this.children.set({ namespace, name, state }, counts[state]);
    this.held.set({ namespace, name }, held ? 1 : 0);
  }

  forget(namespace: string, name: string): void {
    this.members.remove({ namespace, name });
    for (const state of ['ready', 'updating', 'failed']) this.children.remove({ namespace, name, state });
    this.held.remove({ namespace, name });
  }
}
