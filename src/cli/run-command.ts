// `run`: the in-cluster operator (the image's entrypoint, flags as the Helm
// chart passes them). This file only declares the flags; the process itself
// (kubeconfig, servers, signals) is in ./run-operator.ts, loaded when `run`
// runs, so the other commands never load the Kubernetes client library
// (about 130 MB and 0.6 s of CPU, measured by the benchmark), and `run` loads
// only the part of it the operator uses (../kube/slim-client-node.ts).
import { type Command, InvalidArgumentError, Option } from 'commander';
import { LabelSelectorError, parseLabelSelector } from '../kube/label-selector.ts';
import { useSlimClientNode } from '../kube/slim-client-node.ts';
import { durationMs, positiveInt } from './arg-parsers.ts';

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

/** Refused at start-up, not by the apiserver on every list. */
function labelSelectorArg(value: string): string {
  try {
    return parseLabelSelector(value).text;
  } catch (error) {
    if (error instanceof LabelSelectorError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

const list = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

export function registerRunCommand(program: Command, run: (code: number) => void): Command {
  return program
    .command('run')
    .description('run the Kubernetes operator: watch Workspaces and keep Coder in line with them')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, else the in-cluster service account)')
    .addOption(new Option('--namespaces <a,b>', 'watch only these namespaces').argParser(list).default([], 'all'))
    .option('--leader-elect', 'elect a leader with a Lease so several replicas can run; only the leader reconciles')
    .option('--leader-election-namespace <ns>', 'namespace of the Lease (default: $POD_NAMESPACE)')
    .option(
      '--leader-election-id <name>',
      'name of the Lease (default: coder-workspace-operator, or with --watch-label-selector a name derived from the selector)',
    )
    .addOption(
      new Option(
        '--watch-label-selector <selector>',
        'reconcile only the Workspaces (and write the status only of the connections) whose labels match, ' +
          'e.g. coderops.dev/shard=shard1 on a shard, !coderops.dev/shard on the main instance',
      )
        .env('WATCH_LABEL_SELECTOR')
        .argParser(labelSelectorArg),
    )
    .addOption(new Option('--lease-duration <duration>', 'how long a lease is valid').argParser(durationMs).default(15_000, '15s'))
    .addOption(
      new Option('--renew-deadline <duration>', 'the leader gives up if it cannot renew for this long')
        .argParser(durationMs)
        .default(10_000, '10s'),
    )
    .addOption(new Option('--retry-period <duration>', 'how often to try to acquire or renew').argParser(durationMs).default(2_000, '2s'))
    .option('--concurrency <n>', 'Workspaces reconciled in parallel', positiveInt, 4)
    .addOption(
      new Option('--resync <duration>', 'refresh every Coder snapshot and correct drift this often')
        .argParser(durationMs)
        .default(600_000, '10m'),
    )
    .addOption(
      new Option('--deletion-policy <policy>', 'what deleting a Workspace does when its spec does not say')
        .choices(['Orphan', 'Delete'])
        .default('Orphan'),
    )
    .option('--metrics-bind-address <addr>', 'address for /metrics (0 disables)', ':8080')
    .option('--health-probe-bind-address <addr>', 'address for /healthz and /readyz (0 disables)', ':8081')
    .option('--log-level <level>', 'pino level: trace, debug, info, warn, error', process.env.LOG_LEVEL || 'info')
    .addOption(new Option('--coder-timeout <duration>', 'timeout of one Coder API attempt').argParser(durationMs))
    .option(
      '--max-list-items <n>',
      "most workspaces one connection's list may hold (a server reporting more is refused)",
      positiveInt,
      100_000,
    )
    .addOption(
      new Option('--list-deadline <duration>', "one connection's whole workspace list (every page) must end within this")
        .argParser(durationMs)
        .default(300_000, '5m'),
    )
    .action(async (flags: RunFlags) => {
      useSlimClientNode();
      return run(await (await import('./run-operator.ts')).runCommand(flags));
    });
}
