// The commands of coder-workspace-operator (alias cwo): plan, apply, status.
// Exit codes: 0 success / in sync, 1 error, 2 `plan` found changes
// (like `terraform plan -detailed-exitcode`).
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseDuration } from '../api/duration.ts';
import { createLogger } from '../observability/logger.ts';
import { runApply, runPlan, type RunOptions } from '../gitops/run.ts';
import { connect, type ConnectionFlags } from './connection.ts';
import { loadDeclarations } from '../gitops/load.ts';
import { applyJson, errorsJson, hasChanges, planJson, renderApplySummary, renderErrors, renderOutcome, renderPlanText } from './render.ts';
import { renderStatusTable } from './status-table.ts';
import { ProgressLine } from './progress.ts';

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_CHANGES = 2;

interface CommonFlags extends ConnectionFlags {
  filename: string[];
  state: string | false;
  prune?: boolean;
  output: 'text' | 'json';
  concurrency: number;
  deletionPolicy: 'Delete' | 'Orphan';
  deleteTimeout: number;
  logLevel: string;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}

function durationMs(value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function withCommonOptions(cmd: Command): Command {
  return cmd
    .requiredOption('-f, --filename <path...>', 'Workspace YAML files or directories (recursive); - reads stdin')
    .option('--url <url>', 'Coder URL (default: $CODER_URL)')
    .option('--token-file <file>', 'file holding the Coder session token (default: $CODER_SESSION_TOKEN)')
    .option('--state <file>', 'state file recording what this tool manages', '.cwo-state.json')
    .option('--no-state', 'keep no state file (no prune; renames are then planned by name)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--concurrency <n>', 'workspaces changed in parallel', positiveInt, 8)
    .option('--requests-per-minute <n>', 'client-side rate limit per API path (server default is 512)', positiveInt)
    .option('--bypass-rate-limit', 'send X-Coder-Bypass-Ratelimit (site Owner tokens only)')
    .addOption(
      new Option('--deletion-policy <policy>', 'deletionPolicy for specs that do not set one')
        .choices(['Orphan', 'Delete'])
        .default('Orphan'),
    )
    .addOption(
      new Option('--delete-timeout <duration>', 'how long to wait for a delete build').argParser(durationMs).default(600_000, '10m'),
    )
    .addOption(new Option('--log-level <level>', 'log level (logs go to stderr)').default('warn'));
}

/**
 * Loads and validates every document before anything else: invalid input
 * fails without a network call, and nothing is written unless all is valid.
 */
async function setUp(flags: CommonFlags, withPrune: boolean) {
  const loaded = await loadDeclarations(flags.filename, { stdin: process.stdin });
  if (loaded.errors.length > 0) {
    print(flags.output === 'json' ? JSON.stringify(errorsJson(loaded.errors), null, 2) : renderErrors(loaded.errors));
    return undefined;
  }
  const logger = createLogger({ level: flags.logLevel, destination: process.stderr });
  const conn = await connect(flags, process.env, logger);
  const opts: RunOptions = {
    declarations: loaded.workspaces,
    paths: flags.filename,
    api: conn.client,
    owners: conn.owners,
    coderUrl: conn.url,
    prune: withPrune && flags.prune === true,
    defaultDeletionPolicy: flags.deletionPolicy,
    concurrency: flags.concurrency,
    deleteTimeoutMs: flags.deleteTimeout,
  };
  if (flags.state !== false) opts.statePath = flags.state;
  return { conn, opts };
}

async function planCommand(flags: CommonFlags): Promise<number> {
  const ready = await setUp(flags, true);
  if (!ready) return EXIT_ERROR;
  try {
    const report = await runPlan(ready.opts);
    print(flags.output === 'json' ? JSON.stringify(planJson(report), null, 2) : renderPlanText(report));
    return hasChanges(report) ? EXIT_CHANGES : EXIT_OK;
  } finally {
    await ready.conn.owners.release();
  }
}

async function applyCommand(flags: CommonFlags): Promise<number> {
  const ready = await setUp(flags, true);
  if (!ready) return EXIT_ERROR;
  const text = flags.output === 'text';
  const progress = new ProgressLine(process.stdout);
  if (text) ready.opts.onOutcome = (key, outcome) => progress.print(renderOutcome(key, outcome));
  try {
    const report = await runApply(ready.opts);
    progress.done();
    print(text ? renderApplySummary(report) : JSON.stringify(applyJson(report), null, 2));
    const failed =
      report.results.some((r) => r.outcomes.some((o) => !o.ok)) ||
      report.plans.some((p) => p.blocked.length > 0) ||
      report.pruneResults.some((p) => p.outcome === 'failed' || p.outcome === 'timeout');
    return failed ? EXIT_ERROR : EXIT_OK;
  } finally {
    await ready.conn.owners.release();
  }
}

async function statusCommand(flags: CommonFlags): Promise<number> {
  const ready = await setUp(flags, false);
  if (!ready) return EXIT_ERROR;
  try {
    const report = await runPlan(ready.opts);
    print(flags.output === 'json' ? JSON.stringify(planJson(report), null, 2) : renderStatusTable(report));
    return EXIT_OK;
  } finally {
    await ready.conn.owners.release();
  }
}

function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function buildProgram(run: (code: number) => void): Command {
  const program = new Command('coder-workspace-operator')
    .description('Declarative management of Coder workspaces')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showHelpAfterError();
  const action = (fn: (flags: CommonFlags) => Promise<number>) => async (flags: CommonFlags) => run(await fn(flags));
  withCommonOptions(program.command('plan'))
    .description('show what apply would change in Coder (exit 0: in sync, 2: changes, 1: error)')
    .option('--prune', 'also plan deleting/orphaning workspaces no longer declared')
    .action(action(planCommand));
  withCommonOptions(program.command('apply'))
    .description('make Coder match the declarations')
    .option('--prune', 'delete or orphan (by deletionPolicy) workspaces this tool manages that are no longer declared')
    .action(action(applyCommand));
  withCommonOptions(program.command('status'))
    .description('table of declared workspaces with their Coder state and drift')
    .action(action(statusCommand));
  return program;
}
