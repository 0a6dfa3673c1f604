// The CLI's rollout control (per run): how many workspaces update at once,
// the maintenance window outside which no running workspace is restarted,
// and "only when stopped". The operator reads the same from the connection's
// spec.rollout.
import { Option, type Command } from 'commander';
import { durationMs, positiveInt } from './arg-parsers.ts';
import { windowError } from '../engine/rollout-window.ts';
import { DEFAULT_ROLLOUT, type RolloutOptions } from '../gitops/lifecycle-run.ts';
import { UsageError } from './usage-error.ts';

export interface RolloutFlags {
  maxUnavailable: number;
  windowSchedule?: string;
  windowDuration?: string;
  windowTimezone?: string;
  onlyWhenStopped?: boolean;
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
      new Option('--build-timeout <duration>', 'how long apply waits for one start or stop build')
        .argParser(durationMs)
        .default(DEFAULT_ROLLOUT.buildTimeoutMs, '10m'),
    );
}

function goDuration(value: string): string {
  durationMs(value); // throws the parser's message
  return value;
}

/** The run's rollout options; a half-given or bad window is a usage error before any call to Coder. */
export function rolloutFromFlags(flags: RolloutFlags): RolloutOptions {
  const opts: RolloutOptions = { maxUnavailable: flags.maxUnavailable, buildTimeoutMs: flags.buildTimeout };
  if (flags.onlyWhenStopped) opts.onlyWhenStopped = true;
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
