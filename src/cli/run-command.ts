// `run`: the in-cluster operator (the image's entrypoint, flags as the Helm
// chart passes them). This file owns the process: flags, kubeconfig, the
// /metrics and health servers, signals. The controller is src/controller/operator.ts.
import { KubeConfig } from '@kubernetes/client-node';
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseDuration } from '../api/duration.ts';
import { Operator } from '../controller/operator.ts';
import { startHttpServer, type RunningHttpServer } from '../observability/http-server.ts';
import { createLogger } from '../observability/logger.ts';
import { OperatorMetrics } from '../observability/metrics.ts';

export interface RunFlags {
  kubeconfig?: string;
  namespaces: string[];
  leaderElect?: boolean;
  leaderElectionNamespace?: string;
  leaderElectionId: string;
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
}

function durationMs(value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}

const list = (value: string): string[] => value.split(',').map((s) => s.trim()).filter((s) => s !== '');

export function registerRunCommand(program: Command, run: (code: number) => void): Command {
  return program
    .command('run')
    .description('run the Kubernetes operator: watch Workspaces and keep Coder in line with them')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, else the in-cluster service account)')
    .option('--namespaces <a,b>', 'watch only these namespaces (default: all)', list, [])
    .option('--leader-elect', 'elect a leader with a Lease so several replicas can run; only the leader reconciles')
    .option('--leader-election-namespace <ns>', 'namespace of the Lease (default: $POD_NAMESPACE)')
    .option('--leader-election-id <name>', 'name of the Lease', 'coder-workspace-operator')
    .addOption(new Option('--lease-duration <duration>', 'how long a lease is valid').argParser(durationMs).default(15_000, '15s'))
    .addOption(new Option('--renew-deadline <duration>', 'the leader gives up if it cannot renew for this long').argParser(durationMs).default(10_000, '10s'))
    .addOption(new Option('--retry-period <duration>', 'how often to try to acquire or renew').argParser(durationMs).default(2_000, '2s'))
    .option('--concurrency <n>', 'Workspaces reconciled in parallel', positiveInt, 4)
    .addOption(new Option('--resync <duration>', 'refresh every Coder snapshot and correct drift this often').argParser(durationMs).default(600_000, '10m'))
    .addOption(new Option('--deletion-policy <policy>', 'what deleting a Workspace does when its spec does not say').choices(['Orphan', 'Delete']).default('Orphan'))
    .option('--metrics-bind-address <addr>', 'address for /metrics (0 disables)', ':8080')
    .option('--health-probe-bind-address <addr>', 'address for /healthz and /readyz (0 disables)', ':8081')
    .option('--log-level <level>', 'pino level: trace, debug, info, warn, error', process.env.LOG_LEVEL || 'info')
    .addOption(new Option('--coder-timeout <duration>', 'timeout of one Coder API attempt').argParser(durationMs))
    .action(async (flags: RunFlags) => run(await runCommand(flags)));
}

export async function runCommand(flags: RunFlags): Promise<number> {
  const logger = createLogger({ level: flags.logLevel, destination: process.stderr });
  const metrics = new OperatorMetrics();
  const kubeConfig = new KubeConfig();
  if (flags.kubeconfig) kubeConfig.loadFromFile(flags.kubeconfig);
  else kubeConfig.loadFromDefault(); // $KUBECONFIG, ~/.kube/config, else in-cluster
  const leNamespace = flags.leaderElectionNamespace || process.env.POD_NAMESPACE;
  if (flags.leaderElect && !leNamespace) throw new InvalidArgumentError('--leader-elect needs --leader-election-namespace or $POD_NAMESPACE');
  let exitCode = 0;
  const operator = new Operator({
    kubeConfig,
    namespaces: flags.namespaces,
    concurrency: flags.concurrency,
    resyncMs: flags.resync,
    deletionPolicy: flags.deletionPolicy,
    ...(flags.leaderElect
      ? { leaderElection: { namespace: leNamespace!, id: flags.leaderElectionId, leaseDurationMs: flags.leaseDuration, renewDeadlineMs: flags.renewDeadline, retryPeriodMs: flags.retryPeriod } }
      : {}),
    ...(flags.coderTimeout ? { coderTimeoutMs: flags.coderTimeout } : {}),
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
  logger.info({ metrics: metricsServer?.url, probes: probeServer?.url, namespaces: flags.namespaces.length > 0 ? flags.namespaces : 'all', leaderElect: flags.leaderElect === true }, 'operator starting');

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
