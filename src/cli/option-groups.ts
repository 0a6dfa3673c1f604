// The flags of plan, apply, status and sync, in the groups `--help` shows
// them in: where the declarations come from first, then output, the Coder
// connection, state and prune, and the rest. Each command adds only the
// groups (and flags) it reads, so its help lists nothing it would ignore.
import { type Command, Option } from 'commander';
import { durationMs, positiveInt, pruneLimit } from './arg-parsers.ts';
import { DEFAULT_PRUNE_LIMIT, formatPruneLimit } from '../gitops/prune-limit.ts';

export const GROUP = {
  input: 'Input:',
  output: 'Output and logs:',
  coder: 'Coder connection:',
  state: 'State and prune:',
  apply: 'Apply:',
  rollout: 'Rollout (template version and parameter updates):',
  git: 'Git source:',
  sync: 'Sync loop:',
} as const;

export function inputOptions(cmd: Command, required: boolean): Command {
  cmd.optionsGroup(GROUP.input);
  const flags = '-f, --filename <path...>';
  const help = 'Workspace YAML files or directories (recursive); - reads stdin';
  return required ? cmd.requiredOption(flags, help) : cmd.option(flags, help);
}

export function outputOptions(cmd: Command, outputs: string[]): Command {
  return cmd
    .optionsGroup(GROUP.output)
    .addOption(new Option('-o, --output <format>', 'output format').choices(outputs).default('text'))
    .addOption(new Option('--log-level <level>', 'log level (logs go to stderr)').choices(LOG_LEVELS).default('warn'))
    .addOption(
      new Option('--log-format <format>', 'logs as JSON lines, or pretty for people; auto: pretty on a terminal, JSON otherwise')
        .choices(['auto', 'json', 'pretty'])
        .default('auto'),
    );
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export function coderOptions(cmd: Command): Command {
  return cmd
    .optionsGroup(GROUP.coder)
    .option('--url <url>', 'Coder URL; without it, $CODER_URL')
    .option('--token-file <file>', 'file holding the Coder session token; without it, $CODER_SESSION_TOKEN')
    .option('--requests-per-minute <n>', 'client-side rate limit per API path (the server allows 512)', positiveInt)
    .option('--bypass-rate-limit', 'send X-Coder-Bypass-Ratelimit (site Owner tokens only)')
    .addOption(new Option('--coder-timeout <duration>', 'timeout of one Coder API attempt').argParser(durationMs).default(30_000, '30s'))
    .option('--max-list-items <n>', 'most workspaces the list may hold (a server reporting more is refused)', positiveInt, 100_000)
    .addOption(
      new Option('--list-deadline <duration>', 'the whole workspace list (every page) must end within this')
        .argParser(durationMs)
        .default(300_000, '5m'),
    );
}

interface StateGroup {
  /** The help of --prune, or undefined when the command never prunes. */
  prune?: string;
  /** --deletion-policy and --delete-timeout: only where something may be deleted (plan reads the policy only). */
  deletionPolicy?: boolean;
  deleteTimeout?: boolean;
}

export function stateOptions(cmd: Command, opts: StateGroup): Command {
  cmd
    .optionsGroup(GROUP.state)
    .option('--state <file>', 'state file recording what this tool manages', '.cwo-state.json')
    .option('--no-state', 'keep no state file (no prune; renames are then planned by name)')
    .option(
      '--state-source-takeover <source...>',
      'take over the state entries another source recorded (`files`, `legacy-git`, or `<repository>#<ref>` as the refusal names it)',
    );
  if (opts.prune !== undefined) {
    cmd
      .option('--prune', opts.prune)
      .addOption(
        new Option(
          '--max-prune <n|n%|all>',
          'refuse a prune that would delete more workspaces than this (a count, a share of those managed in scope, or all)',
        )
          .argParser(pruneLimit)
          .default(DEFAULT_PRUNE_LIMIT, formatPruneLimit(DEFAULT_PRUNE_LIMIT)),
      )
      .option(
        '--acknowledge-removals <value...>',
        'let a held WorkspaceSet pass through: the value its refusal names (that removal only; a different one is held again)',
      );
  }
  if (opts.deletionPolicy)
    cmd.addOption(
      new Option('--deletion-policy <policy>', 'deletionPolicy for specs that do not set one')
        .choices(['Orphan', 'Delete'])
        .default('Orphan'),
    );
  if (opts.deleteTimeout)
    cmd.addOption(
      new Option('--delete-timeout <duration>', 'how long to wait for a delete build').argParser(durationMs).default(600_000, '10m'),
    );
  return cmd;
}

export function concurrencyOption(cmd: Command): Command {
  return cmd.optionsGroup(GROUP.apply).option('--concurrency <n>', 'workspaces changed in parallel', positiveInt, 8);
}
