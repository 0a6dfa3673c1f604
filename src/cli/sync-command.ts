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
      ...(flags.acknowledgeRemovals ? { acknowledgeRemovals: flags.acknowledgeRemovals } : {}),
    },
    ...(flags.statusFile ? { statusPath: flags.statusFile } : {}),
    ...(previous ? { previous } : {}),
    resyncMs: flags.resync,
    allowHistoryRewrite: flags.allowHistoryRewrite === true,
    logger,
    metrics,
  });

  if (flags.once) return GOOD.includes(await tick(ticker, flags, logger)) ? 0 : 1;

  let stopping = false;
  let wake: (() => void) | undefined;
  const stop = (signal: string) => {
    if (!stopping) logger.info({ signal }, 'stopping after the current tick');
    stopping = true;
    wake?.();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

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
  try {
    while (!stopping) {
      tickStarted = Date.now();
      const result = await tick(ticker, flags, logger);
      ticks++;
      tickStarted = Date.now();
      if (stopping) break;
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
  return 0;
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
  lastPrinted = key;
  logger.debug({ result }, 'tick done');
  return result;
}
