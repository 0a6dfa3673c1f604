// The CLI's rollout control (per run): how many workspaces update at once,
// the maintenance window outside which no running workspace is restarted,
// "only when stopped", "only when idle", the halt after failures, rollback
// and canary steps. The operator reads the same from the connection's
// spec.rollout.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { type CanaryStep, windowError } from '../engine/index.ts';
import { durationMs, positiveInt } from './arg-parsers.ts';
import { DEFAULT_ROLLOUT, type RolloutOptions } from '../gitops/lifecycle-run.ts';
import { UsageError } from '../gitops/usage-error.ts';

export interface RolloutFlags {
  maxUnavailable: number;
  windowSchedule?: string;
  windowDuration?: string;
  windowTimezone?: string;
  onlyWhenStopped?: boolean;
  onlyWhenIdle?: number;
  maxFailures?: number;
  rollback?: boolean;
  steps?: CanaryStep[];
  stepPause?: number;
  resumeRollout?: boolean;
  buildTimeout: number;
}

export function withRolloutOptions(cmd: Command): Command {
  return cmd
    .option('--max-unavailable <n>', 'workspaces updated (version, parameters) at once', positiveInt, DEFAULT_ROLLOUT.maxUnavailable)
    .option(
      '--window-schedule <cron>',
      'maintenance window openings, e.g. "0 22 * * 1-5"; running workspaces are restarted for an update only inside it',
    )
    .addOption(new Option('--window-duration <duration>', 'how long the window stays open (e.g. 2h)').argParser(goDuration))
    .option('--window-timezone <tz>', 'IANA time zone of --window-schedule (default UTC)')
    .option('--only-when-stopped', 'update only workspaces that are not running')
    .addOption(
      new Option(
        '--only-when-idle <duration>',
        "restart a running workspace for an update only when Coder's last_used_at is older than this (e.g. 30m)",
      ).argParser(durationMs),
    )
    .option('--max-failures <n>', 'failed updates to one template version after which its rollout halts (default 1)', positiveInt)
    .option('--no-rollback', 'leave a workspace whose update failed as it is, instead of back on its previous version and run state')
    .addOption(new Option('--steps <list>', 'canary steps, cumulative: counts and percentages, e.g. 5,25%,100%').argParser(parseSteps))
    .addOption(new Option('--step-pause <duration>', 'wait this long between two canary steps').argParser(durationMs))
    .option('--resume-rollout', 'resume rollouts halted after failures (failures recorded before this run no longer count)')
    .addOption(
      new Option('--build-timeout <duration>', 'how long apply waits for one start or stop build')
        .argParser(durationMs)
        .default(DEFAULT_ROLLOUT.buildTimeoutMs, '10m'),
    );
}

/** `--steps 5,25%,100%`: counts and percentages. */
function parseSteps(value: string): CanaryStep[] {
  const steps = value.split(',').map((part) => {
    const m = /^\s*(\d+)(%?)\s*$/.exec(part);
    const n = m ? Number(m[1]) : Number.NaN;
    if (!m || !Number.isInteger(n) || n < 1 || (m[2] === '%' && n > 100))
      throw new InvalidArgumentError(`"${part}" is neither a count (5) nor a percentage from 1% to 100% (25%)`);
    return m[2] === '%' ? { percent: n } : { count: n };
  });
  return steps;
}

function goDuration(value: string): string {
  durationMs(value); // throws the parser's message
  return value;
}

/** The run's rollout options; a half-given or bad window is a usage error before any call to Coder. */
export function rolloutFromFlags(flags: RolloutFlags): RolloutOptions {
  const opts: RolloutOptions = { maxUnavailable: flags.maxUnavailable, buildTimeoutMs: flags.buildTimeout };
  if (flags.onlyWhenStopped) opts.onlyWhenStopped = true;
  if (flags.onlyWhenIdle !== undefined) opts.onlyWhenIdleMs = flags.onlyWhenIdle;
  if (flags.maxFailures !== undefined) opts.maxFailures = flags.maxFailures;
  if (flags.rollback === false) opts.rollbackOnFailure = false;
  if (flags.steps) opts.steps = flags.steps;
  if (flags.stepPause !== undefined) {
    if (!flags.steps) throw new UsageError('--step-pause needs --steps');
    opts.pauseMs = flags.stepPause;
  }
  if (flags.resumeRollout) opts.resume = true;
  if (flags.windowSchedule === undefined && flags.windowDuration === undefined) {
    if (flags.windowTimezone !== undefined) throw new UsageError('--window-timezone needs --window-schedule and --window-duration');
    return opts;
  }
  if (flags.windowSchedule === undefined || flags.windowDuration === undefined)
    throw new UsageError('a maintenance window needs both --window-schedule and --window-duration');
  const window = {
    schedule: flags.windowSchedule,
    duration: flags.windowDuration,
    ...(flags.windowTimezone ? { timezone: flags.windowTimezone } : {}),
  };
  const problem = windowError(window);
  if (problem) throw new UsageError(problem.replace(/^rollout\.window\.(\w+)/, (_m, f: string) => `--window-${f}`));
  opts.window = window;
  return opts;
}
