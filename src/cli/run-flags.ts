// The flags of `run` (the operator), as commander hands them over: read by
// ./run-command.ts, which declares them, and by ./run-operator.ts, which it
// loads only when `run` is chosen. Their own file, so the two do not import
// each other.
export interface RunFlags {
  kubeconfig?: string;
  namespaces: string[];
  leaderElect?: boolean;
  leaderElectionNamespace?: string;
  /** Unset: derived from the selector (src/controller/shard.ts, leaseNameFor). */
  leaderElectionId?: string;
  /** Sharding (src/controller/shard.ts); also $WATCH_LABEL_SELECTOR. */
  watchLabelSelector?: string;
  leaseDuration: number;
  renewDeadline: number;
  retryPeriod: number;
  concurrency: number;
  resync: number;
  deletionPolicy: 'Delete' | 'Orphan';
  metricsBindAddress: string;
  healthProbeBindAddress: string;
  logLevel: string;
  coderTimeout?: number;
  maxListItems: number;
  listDeadline: number;
}
