// The operator process behind `run`: kubeconfig, the controller, the
// /metrics and health servers, and signals. The controller is src/controller/operator.ts.
import { InvalidArgumentError } from 'commander';
import { Operator } from '../controller/operator.ts';
import { leaseNameFor, Shard } from '../controller/shard.ts';
import { SharedConnectionsKubeConfig } from '../kube/http-agent-pool.ts';
import { startHttpServer, type RunningHttpServer } from '../observability/http-server.ts';
import { createLogger } from '../observability/logger.ts';
import { OperatorMetrics } from '../observability/metrics.ts';
import type { RunFlags } from './run-command.ts';

export async function runCommand(flags: RunFlags): Promise<number> {
  const logger = createLogger({ level: flags.logLevel, destination: process.stderr });
  const metrics = new OperatorMetrics();
  // Every Kubernetes call (lists, watches, patches, Events, Leases) over one keep-alive pool.
  const kubeConfig = new SharedConnectionsKubeConfig();
  if (flags.kubeconfig) kubeConfig.loadFromFile(flags.kubeconfig);
  else kubeConfig.loadFromDefault(); // $KUBECONFIG, ~/.kube/config, else in-cluster
  const leNamespace = flags.leaderElectionNamespace || process.env.POD_NAMESPACE;
  if (flags.leaderElect && !leNamespace)
    throw new InvalidArgumentError('--leader-elect needs --leader-election-namespace or $POD_NAMESPACE');
  // The flag's parser already refused a bad selector; this cannot throw for one it let through.
  const shard = new Shard(flags.watchLabelSelector);
  const leaseName = leaseNameFor(flags.leaderElectionId, shard);
  let exitCode = 0;
  const operator = new Operator({
    kubeConfig,
    namespaces: flags.namespaces,
    concurrency: flags.concurrency,
    resyncMs: flags.resync,
    deletionPolicy: flags.deletionPolicy,
    shard,
    ...(flags.leaderElect
      ? {
          leaderElection: {
            namespace: leNamespace!,
            id: leaseName,
            leaseDurationMs: flags.leaseDuration,
            renewDeadlineMs: flags.renewDeadline,
            retryPeriodMs: flags.retryPeriod,
          },
        }
      : {}),
    ...(flags.coderTimeout ? { coderTimeoutMs: flags.coderTimeout } : {}),
    coderListBounds: { maxItems: flags.maxListItems, deadlineMs: flags.listDeadline },
    logger,
    metrics,
    onLostLease: () => {
      // As client-go: a replica that lost its lease exits, and the kubelet starts it afresh as a candidate.
      logger.error('lost the leader lease; exiting');
      exitCode = 1;
      stop('lease-lost');
    },
  });
  if (!flags.leaderElect) metrics.leader.set(1);
  const servers: RunningHttpServer[] = [];
  const checks = { liveness: () => operator.liveness(), readiness: () => operator.readiness() };
  const metricsServer = await startHttpServer({ address: flags.metricsBindAddress, registry: metrics.registry, ...checks });
  if (metricsServer) servers.push(metricsServer);
  const probeServer = await startHttpServer({ address: flags.healthProbeBindAddress, registry: metrics.registry, ...checks });
  if (probeServer) servers.push(probeServer);
  logger.info(
    {
      metrics: metricsServer?.url,
      probes: probeServer?.url,
      namespaces: flags.namespaces.length > 0 ? flags.namespaces : 'all',
      leaderElect: flags.leaderElect === true,
      ...(flags.leaderElect ? { lease: leaseName } : {}),
      ...(shard.sharded ? { watchLabelSelector: shard.selector.text } : {}),
    },
    'operator starting',
  );

  let stopping: Promise<void> | undefined;
  const stop = (signal: string) => {
    if (stopping) return;
    logger.info({ signal }, 'stopping: no new work, finishing in-flight reconciles, releasing the lease');
    stopping = operator.stop();
  };
  const onSignal = (signal: NodeJS.Signals) => stop(signal);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await operator.start();
    stop('done');
    await stopping;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await Promise.all(servers.map((s) => s.close()));
  }
  logger.info({ exitCode }, 'operator stopped');
  return exitCode;
}
