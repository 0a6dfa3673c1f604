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
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      existing(name, () => new Gauge<L>({ name, help, labelNames, registers }));
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      existing(name, () => new Counter<L>({ name, help, labelNames, registers }));
    this.members = gauge('cwo_workspaceset_members', 'members the last expansion of a WorkspaceSet found', ['namespace', 'name']);
    this.children = gauge('cwo_workspaceset_children', 'child Workspaces of a WorkspaceSet by state (ready, updating, failed)', [
      'namespace',
      'name',
      'state',
    ]);
    this.held = gauge(
      'cwo_workspaceset_held',
      '1 while a WorkspaceSet changes no child (a generator failed, removals wait for acknowledgement, ...), else 0',
      ['namespace', 'name'],
    );
    this.refreshes = counter('cwo_workspaceset_refreshes_total', 'member expansions by result (ok, or the generator failure reason)', [
      'result',
    ]);
    this.childWrites = counter(
      'cwo_workspaceset_child_writes_total',
      'child Workspace writes by verb (create, update, delete) and result (ok, error)',
      ['verb', 'result'],
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
