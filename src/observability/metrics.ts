// The Prometheus metrics of both front doors: `cwo sync` and the in-cluster
// operator (`cwo run`) create this one class, so a series has one name and one
// meaning whichever door fills it. Both fill the Coder request series,
// cwo_reconcile_duration_seconds, the drift and rollout series; only sync the
// cwo_sync_* series and cwo_workspaces; only the operator the reconcile,
// workqueue, leader and informer series (docs/monitoring.md lists them per
// door). The WorkspaceSet series live in controller/workspaceset/set-metrics.ts,
// on the same registry. Each instance has a registry of its own (no prom-client
// globals), so tests can create as many as they like.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ROLLOUT_STATES, type RolloutState, type WorkspaceStatus } from '../api/schema.ts';

/**
 * The part of CoderClient's onResponse event (CoderRequestEvent, coder/transport.ts) the metrics
 * read, declared here so that observability/ does not import coder/ (the layering in
 * docs/architecture.md).
 */
interface CoderRequestObservation {
  method: string;
  /** The route template (`/api/v2/workspaces/{id}`): no ids in labels. */
  route: string;
  status: number;
  durationMs: number;
}

// Each series is written out in prom-client's own shape: alike in form, each its own name, help and labels.
export class OperatorMetrics {
  readonly registry = new Registry();
  readonly syncRuns = new Counter({
    name: 'cwo_sync_runs_total',
    help: 'sync ticks by result (Applied, UpToDate, Unchanged, or the failure reason)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly lastAppliedRevision = new Gauge({
    name: 'cwo_sync_last_applied_revision_info',
    help: 'always 1; the labels name the revision last applied (like Flux)',
    labelNames: ['repo', 'ref', 'revision'] as const,
    registers: [this.registry],
  });
  readonly coderRequests = new Counter({
    name: 'cwo_coder_requests_total',
    help: 'Coder API requests by method, route template and status code (0: no answer)',
    labelNames: ['method', 'route', 'code'] as const,
    registers: [this.registry],
  });
  // The latency panel and the dashboards' Coder view need more than the counter: how long
  // each attempt took (retries are separate observations), by route template, never by id.
  readonly coderRequestDuration = new Histogram({
    name: 'cwo_coder_request_duration_seconds',
    help: 'time of one Coder API attempt until its answer (or timeout or network error), by method and route template',
    labelNames: ['method', 'route'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  // One Workspace's reconcile in the operator (result success, requeue or error); one tick's
  // plan and apply in sync (result Applied, UpToDate or ApplyFailed).
  readonly reconcileDuration = new Histogram({
    name: 'cwo_reconcile_duration_seconds',
    help: 'time to observe, plan and apply one reconcile pass',
    labelNames: ['result'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });
  // Filled by sync only (recordStatuses below): in a cluster, kube-state-metrics reads the Workspaces' conditions.
  readonly workspaces = new Gauge({
    name: 'cwo_workspaces',
    help: 'declared workspaces by condition type and status',
    labelNames: ['condition', 'status'] as const,
    registers: [this.registry],
  });
  readonly driftCorrections = new Counter({
    name: 'cwo_drift_corrections_total',
    help: 'fields found changed out of band in Coder and set back, by field',
    labelNames: ['field'] as const,
    registers: [this.registry],
  });

  // The in-cluster operator's own series (`cwo run`); sync never touches them.
  readonly reconciles = new Counter({
    name: 'cwo_reconcile_total',
    help: 'operator reconciles by result (success, requeue, error)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: 'cwo_reconcile_errors_total',
    help: 'operator reconciles that failed: retried with backoff, or not at all when only a person can fix the error',
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'cwo_workqueue_depth',
    help: 'keys waiting in the work queue (not counting those in flight)',
    registers: [this.registry],
  });
  readonly queueInFlight = new Gauge({
    name: 'cwo_workqueue_in_flight',
    help: 'keys being reconciled right now',
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'cwo_leader',
    help: '1 while this replica holds the leader lease (or runs without leader election), else 0',
    registers: [this.registry],
  });
  readonly informerEvents = new Gauge({
    name: 'cwo_informer_stats',
    help: 'informer lists, errors, restarts, quiet relists, 410 relists (expired) and re-watches so far, by resource',
    labelNames: ['resource', 'stat'] as const,
    registers: [this.registry],
  });

  readonly rolloutWorkspaces = new Gauge({
    name: 'cwo_rollout_workspaces',
    help: `Workspaces by rollout state (${ROLLOUT_STATES.join(', ')}), per connection (its id; "run" for cwo sync)`,
    labelNames: ['connection', 'state'] as const,
    registers: [this.registry],
  });

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'cwo_' });
  }

  /** For CoderClient's onResponse: routes are templates, so the label set stays small and holds no ids. */
  readonly onCoderResponse = (event: CoderRequestObservation): void => {
    this.coderRequests.inc({ method: event.method, route: event.route, code: String(event.status) });
    this.coderRequestDuration.observe({ method: event.method, route: event.route }, event.durationMs / 1000);
  };

  setLastAppliedRevision(repo: string, ref: string, revision: string): void {
    this.lastAppliedRevision.reset(); // one series: the current revision
    this.lastAppliedRevision.set({ repo, ref, revision }, 1);
  }

  /** The rollout states of one connection's Workspaces, every state present (0 when none). */
  recordRollout(connection: string, byState: Map<RolloutState, number>): void {
    for (const state of ROLLOUT_STATES) this.rolloutWorkspaces.set({ connection, state }, byState.get(state) ?? 0);
  }

  /** Recounts from the statuses of the last pass; counts drift that pass corrected. */
  recordStatuses(statuses: Iterable<WorkspaceStatus>, corrected: string[] = []): void {
    this.workspaces.reset();
    const rollout = new Map<RolloutState, number>();
    for (const status of statuses) {
      for (const c of status.conditions ?? []) this.workspaces.inc({ condition: c.type, status: c.status });
      if (status.rollout) rollout.set(status.rollout.state, (rollout.get(status.rollout.state) ?? 0) + 1);
    }
    this.recordRollout('run', rollout);
    for (const field of corrected) this.driftCorrections.inc({ field });
  }
}
