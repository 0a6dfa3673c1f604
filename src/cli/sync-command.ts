// `sync`: follow a git ref and keep Coder in line with it. Each tick is
// SyncTicker's business; this file owns the process around it: flags, the
// lazy Coder connection, the metrics/health server, the loop and signals.
import type { Logger } from 'pino';
import { SyncTicker, type CoderSession, type TickResult } from '../gitops/sync.ts';
import { readSyncStatus } from '../gitops/sync-status.ts';
import { startHttpServer } from '../observability/http-server.ts';
import { cliLogger, type LogFormatFlag } from './cli-logger.ts';
import { OperatorMetrics } from '../observability/metrics.ts';
import { connect, readUrl, type Connection, type ConnectionFlags } from './connection.ts';
import { openGitSource, type GitFlags } from './git-flags.ts';
import { backsOff, checkSyncTiming, MAX_BACKOFF_MS, nextWaitMs } from './sync-timing.ts';
import type { PruneLimit } from '../gitops/prune-limit.ts';
import { CoderMemberReader } from '../fleet/coder-member-reader.ts';

import { rolloutFromFlags, type RolloutFlags } from './rollout-flags.ts';

export interface SyncFlags extends ConnectionFlags, GitFlags {
  repo: string;
  acknowledgeRemovals?: string[];
  interval: number;
  resync: number;
  allowShortIntervals?: boolean;
  once?: boolean;
  prune?: boolean;
  maxPrune: PruneLimit;
  allowHistoryRewrite?: boolean;
  statusFile?: string;
  state: string | false;
  stateSourceTakeover?: string[];
  output: 'text' | 'json';
  concurrency: number;
  deletionPolicy: 'Delete' | 'Orphan';
  deleteTimeout: number;
  logLevel: string;
  logFormat?: LogFormatFlag;
  metricsBindAddress: string;
}

const GOOD: TickResult[] = ['Applied', 'UpToDate', 'Unchanged'];
/** 128 + SIGINT, as apply exits when interrupted (program.ts). */
const EXIT_INTERRUPTED = 130;

export async function syncCommand(flags: SyncFlags): Promise<number> {
  const logger = cliLogger(flags);
  const metrics = new OperatorMetrics();
  // A malformed Coder URL is no passing outage: refuse it before the first tick, like a bad flag.
  readUrl(flags, process.env);
  if (!flags.once) checkSyncTiming(flags);
  const source = await openGitSource(flags, false);
  const previous = flags.statusFile ? await readSyncStatus(flags.statusFile) : undefined;

  // Connected on the first tick that needs Coder and kept while it works: a
  // broken repository costs no Coder call, and Coder being down at start is
  // a tick failure the loop recovers from, not a crash.
  let conn: Connection | undefined;
  // SIGINT/SIGTERM, as in apply: a tick under way starts no new build, awaits the builds in flight
  // (bounded), records the owed starts in the state and prints a summary; between ticks the loop just
  // ends. A second signal ends the process at once.
  const interrupt = new AbortController();
  let wake: (() => void) | undefined;
  const stop = (signal: NodeJS.Signals) => {
    if (interrupt.signal.aborted) process.exit(EXIT_INTERRUPTED);
    logger.info({ signal }, 'stopping: no new build starts; waiting for the builds in flight (again to quit now)');
    interrupt.abort();
    wake?.();
  };
  const session = async (): Promise<CoderSession> => {
    conn ??= await connect(flags, process.env, logger, metrics.onCoderResponse);
    return {
      api: conn.client,
      owners: conn.owners,
      coderUrl: conn.url,
      me: { id: conn.me.id, username: conn.me.username },
      members: new CoderMemberReader(conn.client),
      maxMembers: conn.client.listMaxItems,
    };
  };
  const ticker = new SyncTicker({
    source,
    ref: flags.ref,
    path: flags.path,
    connect: session,
    release: async () => conn?.owners.release(),
    run: {
      ...(flags.state !== false ? { statePath: flags.state } : {}),
      ...(flags.stateSourceTakeover ? { stateSourceTakeover: flags.stateSourceTakeover } : {}),
      prune: flags.prune === true,
      maxPrune: flags.maxPrune,
      defaultDeletionPolicy: flags.deletionPolicy,
      concurrency: flags.concurrency,
      deleteTimeoutMs: flags.deleteTimeout,
      rollout: rolloutFromFlags(flags as unknown as RolloutFlags),
      signal: interrupt.signal,
      ...(flags.acknowledgeRemovals ? { acknowledgeRemovals: flags.acknowledgeRemovals } : {}),
    },
    ...(flags.statusFile ? { statusPath: flags.statusFile } : {}),
    ...(previous ? { previous } : {}),
    resyncMs: flags.resync,
    allowHistoryRewrite: flags.allowHistoryRewrite === true,
    logger,
    metrics,
  });

  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  if (flags.once) {
    try {
      return exitCode(await tick(ticker, flags, logger));
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  }

  let ticks = 0;
  let tickStarted = Date.now();
  // A tick may take git timeouts plus a delete wait; longer than that and the loop is stuck: let the kubelet restart us.
  const stallMs = Math.max(flags.interval, MAX_BACKOFF_MS) + 3 * flags.gitTimeout + flags.deleteTimeout + 60_000;
  const server = await startHttpServer({
    address: flags.metricsBindAddress,
    registry: metrics.registry,
    liveness: () =>
      Date.now() - tickStarted > stallMs ? `no tick has finished for ${Math.round((Date.now() - tickStarted) / 1000)}s` : undefined,
    readiness: () => (ticks === 0 ? 'the first sync has not finished yet' : undefined),
  });
  if (server) logger.info({ address: server.url }, 'serving /metrics, /healthz and /readyz');
  let failures = 0;
  let code = 0;
  try {
    while (!interrupt.signal.aborted) {
      tickStarted = Date.now();
      const result = await tick(ticker, flags, logger);
      ticks++;
      tickStarted = Date.now();
      if (result === 'Interrupted') code = EXIT_INTERRUPTED;
      if (interrupt.signal.aborted) break;
      failures = backsOff(result) ? failures + 1 : 0;
      const waitMs = nextWaitMs(flags.interval, failures);
      if (waitMs > flags.interval) logger.warn({ result, failures, nextTickInMs: waitMs }, 'backing off after repeated failures');
      await new Promise<void>((done) => {
        const timer = setTimeout(done, waitMs);
        wake = () => {
          clearTimeout(timer);
          done();
        };
      });
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await server?.close();
    await conn?.owners.release();
  }
  return code;
}

/** --once: 0 when Coder matches the commit, 130 when a signal cut the apply short (as apply), else 1. */
function exitCode(result: TickResult): number {
  if (result === 'Interrupted') return EXIT_INTERRUPTED;
  return GOOD.includes(result) ? 0 : 1;
}

let lastPrinted: string | undefined;

/** One tick, and one line about it (only when something happened, so a quiet loop stays quiet). */
async function tick(ticker: SyncTicker, flags: SyncFlags, logger: Logger): Promise<TickResult> {
  const result = await ticker.tick();
  const s = ticker.status;
  if (flags.output === 'json') {
    process.stdout.write(`${JSON.stringify(s)}\n`);
    return result;
  }
  const rev = (s.lastAttemptedRevision ?? '').slice(0, 12) || '-';
  const count = result === 'Unchanged' ? '' : ` (${Object.keys(s.workspaces).length} workspace(s))`;
  const line = `${s.lastAttemptTime} ${rev} ${result}${count}`;
  const key = `${rev} ${result} ${s.errors.length}`;
  if (result !== 'Unchanged' || key !== lastPrinted) {
    process.stdout.write(`${line}\n`);
    for (const e of s.errors) {
      const where = e.file ? `${e.file}${e.line !== undefined ? `:${e.line}` : ''}: ` : e.workspace ? `${e.workspace}: ` : '';
      process.stdout.write(`  error (${e.reason}): ${where}${e.field ? `${e.field}: ` : ''}${e.message}\n`);
    }
  }
  const cut = ticker.interruption;
  if (cut) {
    process.stdout.write(
      `Interrupted: no new build was started; ${cut.owedStarts} start(s) still owed are recorded in the state file ` +
        'and done by the next apply or sync.\n',
    );
    if (cut.leftInFlight > 0)
      process.stdout.write(
        `${cut.leftInFlight} build(s) still running in Coder were not waited for; the next run counts them against --max-unavailable.\n`,
      );
  }
  lastPrinted = key;
  logger.debug({ result }, 'tick done');
  return result;
}
