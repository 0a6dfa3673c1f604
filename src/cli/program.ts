// The commands of coder-workspace-operator (alias cwo): plan, apply, status, sync.
// Exit codes: 0 success / in sync, 1 error, 2 `plan` found changes
// (like `terraform plan -detailed-exitcode`).
import { Command, Option } from 'commander';
import { cliLogger, type LogFormatFlag } from './cli-logger.ts';
import { runApply, runPlan, type RunOptions } from '../gitops/run.ts';
import { applyErrors } from '../gitops/apply-errors.ts';
import { connect, type ConnectionFlags } from './connection.ts';
import { UsageError } from '../gitops/usage-error.ts';
import { gitSources } from '../gitops/git-source.ts';
import { readSyncStatus } from '../gitops/sync-status.ts';
import { scrub } from '../observability/logger.ts';
import { loadFromRepo, withGitOptions, type GitFlags } from './git-flags.ts';
import { renderErrorsMarkdown, renderFailureMarkdown, renderPlanMarkdown } from './markdown.ts';
import { syncCommand, type SyncFlags } from './sync-command.ts';
import { registerRunCommand } from './run-command.ts';
import { registerExportCommand } from './export-command.ts';
import { durationMs } from './arg-parsers.ts';
import { concurrencyOption, coderOptions, GROUP, inputOptions, outputOptions, stateOptions } from './option-groups.ts';
import { addExamples } from './help-examples.ts';
import { registerValidateCommand } from './validate-command.ts';
import { registerCompletionCommand } from './completion.ts';
import { connectionRolloutWarnings } from './connection-warnings.ts';
import { PACKAGE_VERSION } from './package-version.ts';
import { DeclarationConflictError } from '../gitops/identity.ts';
import { PruneLimitError } from '../gitops/run.ts';
import type { PruneLimit } from '../gitops/prune-limit.ts';
import { renderSyncStatus } from './sync-status-table.ts';
import { loadDeclarations } from '../gitops/load.ts';
import { connectionRefWarnings } from '../gitops/operator-fields.ts';
import { applyJson, errorsJson, hasChanges, planJson, renderApplySummary, renderErrors, renderOutcome, renderPlanText } from './render.ts';
import { renderStatusTable } from './status-table.ts';
import { rolloutFromFlags, withRolloutOptions, type RolloutFlags } from './rollout-flags.ts';
import { CoderWorkspaces, VersionNames, withRunCache } from '../engine/index.ts';
import { ApplyProgress } from './progress.ts';
import { colourLines, painter } from './colour.ts';
import { CoderCheckFailed, checkPlanned } from './coder-checks.ts';
import { CoderMemberReader } from '../fleet/coder-member-reader.ts';
import type { DeclarationError } from '../gitops/load.ts';

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
const EXIT_CHANGES = 2;
/** 128 + SIGINT, as a shell reports an interrupted command. */
const EXIT_INTERRUPTED = 130;

interface CommonFlags extends ConnectionFlags, Partial<GitFlags> {
  filename?: string[];
  statusFile?: string;
  state: string | false;
  stateSourceTakeover?: string[];
  acknowledgeRemovals?: string[];
  prune?: boolean;
  maxPrune: PruneLimit;
  output: 'text' | 'json' | 'markdown';
  concurrency?: number;
  deletionPolicy?: 'Delete' | 'Orphan';
  deleteTimeout?: number;
  logLevel: string;
  logFormat: LogFormatFlag;
}

/**
 * Loads and validates every document before anything else: invalid input
 * fails without a network call, and nothing is written unless all is valid.
 * The documents come from files (-f) or from a commit of a git repository
 * (--repo/--ref/--path), validated the same way.
 */
async function setUp(flags: CommonFlags, withPrune: boolean) {
  const fromGit = flags.repo !== undefined ? await loadFromRepo({ ...(flags as GitFlags), repo: flags.repo }) : undefined;
  const loaded = fromGit?.loaded ?? (await loadDeclarations(flags.filename ?? [], { stdin: process.stdin }));
  const where = fromGit ? `${code(flags.path ?? '.')} at ${code(fromGit.commit.slice(0, 12))}` : undefined;
  if (loaded.errors.length > 0) {
    if (flags.output === 'markdown') print(renderErrorsMarkdown(loaded.errors, where));
    else if (flags.output === 'json') print(JSON.stringify(errorsJson(loaded.errors), null, 2));
    else printText(renderErrors(loaded.errors));
    return undefined;
  }
  // A bad window is a usage error before any call to Coder.
  const rollout = rolloutFromFlags(flags as unknown as RolloutFlags);
  for (const warning of [...connectionRefWarnings(loaded.workspaces), ...connectionRolloutWarnings(loaded.ignored)])
    process.stderr.write(`warning: ${warning}\n`);
  const logger = cliLogger(flags);
  const conn = await connect(flags, process.env, logger);
  const opts: RunOptions = {
    declarations: loaded.workspaces,
    sets: loaded.sets,
    // One paginated read per set generator, under the same bounds as the workspace list.
    members: new CoderMemberReader(conn.client),
    maxMembers: conn.client.listMaxItems,
    paths: flags.filename ?? [],
    // Templates, versions and parameters are read once per run, whoever asks (the checks, the plan, the creates).
    api: withRunCache(conn.client),
    owners: conn.owners,
    coderUrl: conn.url,
    me: { id: conn.me.id, username: conn.me.username },
    prune: withPrune && flags.prune === true,
    maxPrune: flags.maxPrune,
    // Commands without these flags (plan, status) never apply or delete.
    defaultDeletionPolicy: flags.deletionPolicy ?? 'Orphan',
    concurrency: flags.concurrency ?? 8,
    deleteTimeoutMs: flags.deleteTimeout ?? 600_000,
  };
  if (fromGit) opts.sources = gitSources(fromGit.repository, flags.ref ?? '', flags.path ?? '.');
  if (flags.state !== false) opts.statePath = flags.state;
  if (flags.stateSourceTakeover) opts.stateSourceTakeover = flags.stateSourceTakeover;
  if (flags.acknowledgeRemovals) opts.acknowledgeRemovals = flags.acknowledgeRemovals;
  opts.rollout = rollout;
  return { conn, opts, where };
}

function code(text: string): string {
  return `\`${text}\``;
}

/** Exactly one source of declarations. */
function checkSources(flags: CommonFlags, others: string[]): void {
  const given = [
    flags.filename ? '-f' : undefined,
    flags.repo !== undefined ? '--repo' : undefined,
    flags.statusFile ? '--status-file' : undefined,
  ].filter(Boolean);
  if (given.length !== 1)
    throw new UsageError(`give exactly one of ${others.join(', ')}${given.length > 1 ? ` (got ${given.join(' and ')})` : ''}`);
}

async function planCommand(flags: CommonFlags): Promise<number> {
  checkSources(flags, ['-f', '--repo']);
  if (flags.output === 'markdown') {
    // A pull-request comment should say why the check failed, not just fail.
    try {
      return await planOnce(flags);
    } catch (error) {
      print(renderFailureMarkdown(scrub(error instanceof Error ? error.message : String(error))));
      return EXIT_ERROR;
    }
  }
  return planOnce(flags);
}

async function planOnce(flags: CommonFlags): Promise<number> {
  const ready = await setUp(flags, true);
  if (!ready) return EXIT_ERROR;
  try {
    const report = await runPlan(ready.opts);
    // A plan that reads fine but whose apply would fail per workspace is no plan to merge on.
    const unknown = await checkPlanned(ready.opts.api, ready.opts.owners, report);
    if (unknown.length > 0) return printDeclarationErrors(flags, unknown, ready.where);
    if (flags.output === 'markdown') print(renderPlanMarkdown(report, ready.where));
    else if (flags.output === 'json')
      print(JSON.stringify({ ...(planJson(report) as object), pruneRefusal: report.pruneRefusal }, null, 2));
    else printText(renderPlanText(report));
    if (report.pruneRefusal) {
      if (flags.output === 'markdown') print(renderFailureMarkdown(report.pruneRefusal));
      return EXIT_ERROR; // apply would refuse to run
    }
    return hasChanges(report) ? EXIT_CHANGES : EXIT_OK;
  } catch (error) {
    if (error instanceof DeclarationConflictError) return printConflicts(flags, error, ready.where);
    throw error;
  } finally {
    await ready.conn.owners.release();
  }
}

async function applyCommand(flags: CommonFlags): Promise<number> {
  const ready = await setUp(flags, true);
  if (!ready) return EXIT_ERROR;
  const text = flags.output === 'text';
  const colours = painter('stdout');
  const progress = new ApplyProgress({ out: process.stdout, err: process.stderr, colours: painter('stderr') });
  // The names the plan resolves (`v1 → v2`) serve apply's lines as they print.
  const versions = new VersionNames(new CoderWorkspaces(ready.opts.api, ready.opts.owners));
  ready.opts.versionNames = versions;
  ready.opts.onPlanned = async (report) => {
    // The same checks as plan's, on the same plan, before the first write.
    const unknown = await checkPlanned(ready.opts.api, ready.opts.owners, report);
    if (unknown.length > 0) throw new CoderCheckFailed(unknown);
    progress.start(report);
  };
  ready.opts.onOutcome = (key, outcome) =>
    progress.outcome(key, outcome, text ? colourLines(renderOutcome(key, outcome, versions), colours) : undefined);
  ready.conn.client.rateLimiter.onWait = (_path, ms) => progress.waiting(ms);
  // SIGINT/SIGTERM: no new build starts, builds in flight are awaited (bounded), the owed starts are
  // recorded and the summary printed; a second signal ends the process at once.
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupt.signal.aborted) process.exit(EXIT_INTERRUPTED);
    process.stderr.write(
      `\n${signal}: starting no new build; waiting for the builds in flight, then recording what is owed (again to quit now)\n`,
    );
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  ready.opts.signal = interrupt.signal;
  try {
    const report = await runApply(ready.opts);
    progress.stop();
    if (text) printText(renderApplySummary(report));
    else print(JSON.stringify(applyJson(report), null, 2));
    if (report.interrupted) return EXIT_INTERRUPTED;
    return applyErrors(report).length > 0 ? EXIT_ERROR : EXIT_OK;
  } catch (error) {
    progress.stop();
    if (error instanceof DeclarationConflictError) return printConflicts(flags, error, ready.where);
    if (error instanceof CoderCheckFailed) return printDeclarationErrors(flags, error.errors, ready.where);
    if (error instanceof PruneLimitError && flags.output === 'json') {
      print(JSON.stringify({ errors: [{ message: error.message }] }, null, 2));
      return EXIT_ERROR;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await ready.conn.owners.release();
  }
}

/** Declarations that contradict each other or the state, found before any write: reported like invalid ones. */
function printConflicts(flags: CommonFlags, error: DeclarationConflictError, where: string | undefined): number {
  return printDeclarationErrors(flags, error.errors, where);
}

function printDeclarationErrors(flags: CommonFlags, errors: DeclarationError[], where: string | undefined): number {
  if (flags.output === 'markdown') print(renderErrorsMarkdown(errors, where));
  else if (flags.output === 'json') print(JSON.stringify(errorsJson(errors), null, 2));
  else printText(renderErrors(errors));
  return EXIT_ERROR;
}

async function statusCommand(flags: CommonFlags): Promise<number> {
  checkSources(flags, ['-f', '--status-file']);
  if (flags.statusFile) {
    const status = await readSyncStatus(flags.statusFile);
    if (!status) throw new UsageError(`no status file at ${flags.statusFile} (sync writes it with --status-file)`);
    print(flags.output === 'json' ? JSON.stringify(status, null, 2) : renderSyncStatus(status));
    return EXIT_OK;
  }
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

/** Text output for people: coloured on a terminal (colour.ts), plain otherwise. */
function printText(text: string): void {
  print(colourLines(text, painter('stdout')));
}

function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function buildProgram(run: (code: number) => void): Command {
  const program = new Command('coder-workspace-operator')
    .description('Declarative management of Coder workspaces (alias: cwo)')
    .version(process.env.npm_package_version ?? PACKAGE_VERSION)
    // A typo gets one line and commander's did-you-mean, not the whole help.
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false, showGlobalOptions: false });
  const action = (fn: (flags: CommonFlags) => Promise<number>) => async (flags: CommonFlags) => run(await fn(flags));

  registerValidateCommand(program, run);

  const plan = inputOptions(program.command('plan'), false).description(
    'show what apply would change in Coder (exit 0: in sync, 2: changes, 1: error)',
  );
  outputOptions(plan, ['text', 'json', 'markdown']);
  coderOptions(plan);
  stateOptions(plan, { prune: 'also plan deleting/orphaning workspaces no longer declared', deletionPolicy: true });
  withRolloutOptions(plan.optionsGroup(GROUP.rollout));
  withGitOptions(plan.optionsGroup(GROUP.git), durationMs, false);
  addExamples(plan.action(action(planCommand)));

  const apply = inputOptions(program.command('apply'), true).description('make Coder match the declarations');
  outputOptions(apply, ['text', 'json']);
  coderOptions(apply);
  stateOptions(apply, {
    prune: 'delete or orphan (by deletionPolicy) workspaces this tool manages that are no longer declared',
    deletionPolicy: true,
    deleteTimeout: true,
  });
  concurrencyOption(apply);
  withRolloutOptions(apply.optionsGroup(GROUP.rollout));
  addExamples(apply.action(action(applyCommand)));

  const status = inputOptions(program.command('status'), false).description(
    'table of declared workspaces with their Coder state and drift, or of a sync status file',
  );
  status.option('--status-file <file>', 'print the status file sync writes instead (no Coder call)');
  outputOptions(status, ['text', 'json']);
  coderOptions(status);
  stateOptions(status, {});
  withRolloutOptions(status.optionsGroup(GROUP.rollout));
  addExamples(status.action(action(statusCommand)));

  const sync = program
    .command('sync')
    .description('follow a git ref: on every new commit (and every resync period) validate, plan and apply');
  withGitOptions(sync.optionsGroup(GROUP.input), durationMs, true);
  outputOptions(sync, ['text', 'json']);
  coderOptions(sync);
  stateOptions(sync, {
    prune: 'delete or orphan workspaces sync manages that the repository no longer declares (within --path)',
    deletionPolicy: true,
    deleteTimeout: true,
  });
  concurrencyOption(sync);
  withRolloutOptions(sync.optionsGroup(GROUP.rollout));
  sync
    .optionsGroup(GROUP.sync)
    .addOption(new Option('--interval <duration>', 'how often to fetch').argParser(durationMs).default(60_000, '1m'))
    .addOption(
      new Option('--resync <duration>', 're-plan an unchanged commit this often, to correct drift')
        .argParser(durationMs)
        .default(600_000, '10m'),
    )
    .option('--allow-short-intervals', 'allow --interval below 10s and --resync below 1m (tests, benchmarks against a local simulator)')
    .option('--allow-history-rewrite', 'apply a commit that does not descend from the last applied one (after a force-push)')
    .option('--status-file <file>', 'JSON status written after every tick, read back on start')
    .option('--once', 'run one tick and exit (0: in sync or applied, 1: error); never starts the HTTP server')
    .option('--metrics-bind-address <addr>', '/metrics, /healthz, /readyz while sync runs; 0 disables', '127.0.0.1:8080');
  addExamples(sync.action(async (flags: SyncFlags) => run(await syncCommand(flags))));

  addExamples(registerRunCommand(program, run));
  addExamples(registerCompletionCommand(program));
  addExamples(registerExportCommand(program, run));
  return program;
}
