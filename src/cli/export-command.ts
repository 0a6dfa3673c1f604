// `cwo export`: Workspace declarations for existing Coder workspaces, to take
// over a fleet (docs/guides/takeover.md). Reads only, except the short-lived
// owner tokens --include-favorites mints (and deletes) as `plan` does.
// Exit 0: written (also when nothing matched); 1: an error, or an incomplete
// export (a workspace skipped, a field that could not be read).
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DNS_LABEL_PATTERN } from '../api/schema.ts';
import { CoderApiError } from '../coder/errors.ts';
import { WorkspaceEngine, CoderWorkspaces } from '../engine/index.ts';
import { OMITTABLE_FIELDS, type OmittableField, type VersionPolicy } from '../gitops/export-document.ts';
import { selectForExport } from '../gitops/export.ts';
import { existingFiles, OwnerFiles, renderDocument, renderHeader, writeChunk } from '../gitops/export-writer.ts';
import { LIMITS, size } from '../gitops/limits.ts';
import { createLogger, scrub } from '../observability/logger.ts';
import { durationMs, positiveInt } from './arg-parsers.ts';
import { type ConnectionFlags, connect } from './connection.ts';
import { UsageError } from './usage-error.ts';

interface ExportFlags extends ConnectionFlags {
  query: string;
  outDir?: string;
  overwrite?: boolean;
  namespace?: string;
  connectionRef?: { kind: 'CoderConnection' | 'ClusterCoderConnection'; name: string };
  observe?: boolean;
  versionPolicy: VersionPolicy;
  omit: OmittableField[];
  running?: boolean;
  parameters?: boolean;
  includeFavorites?: boolean;
  concurrency: number;
  logLevel: string;
}

const NAMESPACE = new RegExp(DNS_LABEL_PATTERN);

function namespaceArg(value: string): string {
  if (value.length > 63 || !NAMESPACE.test(value))
    throw new InvalidArgumentError('must be a Kubernetes namespace name (lower-case letters, digits and hyphens, at most 63)');
  return value;
}

/** `NAME` (a CoderConnection in the namespace) or `ClusterCoderConnection/NAME`. */
function connectionRefArg(value: string): ExportFlags['connectionRef'] {
  const [kind, name] = value.includes('/') ? value.split('/', 2) : ['CoderConnection', value];
  if (
    (kind !== 'CoderConnection' && kind !== 'ClusterCoderConnection') ||
    !name ||
    name.length > 253 ||
    !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)
  )
    throw new InvalidArgumentError('must be NAME, CoderConnection/NAME or ClusterCoderConnection/NAME (a Kubernetes object name)');
  return { kind, name };
}

function omitArg(value: string, previous: OmittableField[] = []): OmittableField[] {
  const fields = value
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  for (const f of fields)
    if (!(OMITTABLE_FIELDS as readonly string[]).includes(f))
      throw new InvalidArgumentError(`unknown field "${f}"; one of ${OMITTABLE_FIELDS.join(', ')}`);
  return [...previous, ...(fields as OmittableField[])];
}

export function registerExportCommand(program: Command, run: (code: number) => void): Command {
  return program
    .command('export')
    .description('write Workspace declarations for existing Coder workspaces (take over a fleet; exit 0: written, 1: error or incomplete)')
    .addOption(
      new Option('-q, --query <query>', 'Coder workspace search query, e.g. "owner:alice template:go-dev outdated:true"').default(
        '',
        'every workspace the token can see',
      ),
    )
    .option('--out-dir <dir>', 'one file per owner (<owner>.yaml) in this directory instead of one stream on stdout')
    .option('--overwrite', 'with --out-dir: replace owner files that already exist (default: refuse before writing any)')
    .addOption(new Option('--namespace <ns>', 'custom resources for this namespace (sets metadata.namespace)').argParser(namespaceArg))
    .addOption(
      new Option(
        '--connection-ref <ref>',
        'with --namespace: spec.connectionRef, NAME or ClusterCoderConnection/NAME (default: the namespace\'s "default")',
      ).argParser(connectionRefArg),
    )
    .option('--observe', 'add managementPolicies: [Observe]: the tool reports drift and writes nothing until you remove it')
    .addOption(
      new Option('--version-policy <policy>', 'spec.version: auto (Active when on the active version, else Pinned), pinned, or none')
        .choices(['auto', 'pinned', 'none'])
        .default('auto'),
    )
    .addOption(
      new Option('--omit <fields>', `leave these fields unmanaged (comma-separated: ${OMITTABLE_FIELDS.join(', ')})`)
        .argParser(omitArg)
        .default([], 'none'),
    )
    .option('--running', "also export spec.running from the latest build (where Coder's own schedule would not undo it)")
    .option('--parameters', "also export the latest build's parameters: one GET per workspace (10,000 workspaces, 10,000 reads)")
    .option('--include-favorites', 'also export favorites, read as each owner with a short-lived token (needs a site Owner token)')
    .option('--concurrency <n>', 'parameter reads in flight', positiveInt, 8)
    .option('--url <url>', 'Coder URL; without it, $CODER_URL')
    .option('--token-file <file>', 'file holding the Coder session token; without it, $CODER_SESSION_TOKEN')
    .option('--requests-per-minute <n>', 'client-side rate limit per API path (server default is 512)', positiveInt)
    .option('--bypass-rate-limit', 'send X-Coder-Bypass-Ratelimit (site Owner tokens only)')
    .addOption(new Option('--coder-timeout <duration>', 'timeout of one Coder API attempt').argParser(durationMs).default(30_000, '30s'))
    .addOption(new Option('--log-level <level>', 'log level (logs go to stderr)').default('warn'))
    .action(async (flags: ExportFlags) => run(await exportCommand(flags)));
}

async function exportCommand(flags: ExportFlags): Promise<number> {
  if (flags.overwrite && flags.outDir === undefined) throw new UsageError('--overwrite needs --out-dir');
  // The CLI ignores connectionRef (and warns per document): it is for resources the operator reads.
  if (flags.connectionRef && flags.namespace === undefined)
    throw new UsageError('--connection-ref needs --namespace (it is for custom resources)');
  // Observe-only declarations never mint an owner token, so nothing could compare an exported favorite: plan would show it as drift.
  if (flags.observe && flags.includeFavorites)
    throw new UsageError(
      '--include-favorites cannot go with --observe: observe-only declarations never read favorites; export them when you drop --observe',
    );
  const logger = createLogger({ level: flags.logLevel, destination: process.stderr });
  const conn = await connect(flags, process.env, logger);
  const engine = new WorkspaceEngine(new CoderWorkspaces(conn.client, conn.owners), { coderUrl: conn.url });
  try {
    const selection = await selectForExport({
      engine,
      query: flags.query,
      favorites: flags.includeFavorites === true,
      parameters: flags.parameters === true,
      concurrency: flags.concurrency,
      observe: flags.observe === true,
      versionPolicy: flags.versionPolicy,
      omit: new Set(flags.omit),
      running: flags.running === true,
      ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}),
      ...(flags.connectionRef ? { connectionRef: flags.connectionRef } : {}),
    }).catch((error: unknown) => {
      // Coder parses the query: its 400 names the term it refused.
      if (error instanceof CoderApiError && error.status === 400)
        throw new UsageError(`Coder refused the query ${JSON.stringify(flags.query)}: ${error.describe()}`);
      throw error;
    });
    if (selection.workspaces.length === 0) {
      process.stderr.write(
        `no workspace matches${flags.query.trim() ? ` the query ${JSON.stringify(flags.query)}` : ''}; nothing written\n`,
      );
      return 0;
    }
    if (flags.outDir !== undefined && !flags.overwrite) {
      // Checked before anything is written: an export never clobbers a file someone may have edited.
      const existing = await existingFiles(flags.outDir, new Set(selection.workspaces.map((w) => w.ownerName)));
      if (existing.length > 0)
        throw new UsageError(
          `${existing.length} file(s) already exist in ${flags.outDir} (${existing.slice(0, 3).join(', ')}${existing.length > 3 ? ', …' : ''}); ` +
            'pass --overwrite to replace them, or export into an empty directory',
        );
    }
    const header = renderHeader(conn.url, flags.query);
    const files = flags.outDir !== undefined ? new OwnerFiles(flags.outDir, header, flags.overwrite === true) : undefined;
    let written = 0;
    let bytes = 0;
    let incomplete = 0;
    const noteCounts = new Map<string, number>();
    try {
      if (!files) await writeChunk(process.stdout, header);
      for await (const item of selection.items()) {
        for (const problem of item.problems) process.stderr.write(`error: ${item.ref}: ${scrub(problem)}\n`);
        if (item.problems.length > 0) incomplete++;
        if (!('document' in item)) continue;
        for (const note of item.notes) {
          const kind = note.slice(0, note.indexOf(':'));
          noteCounts.set(kind, (noteCounts.get(kind) ?? 0) + 1);
        }
        const text = renderDocument(item.document, item.notes);
        bytes += Buffer.byteLength(text);
        if (files) await files.write(item.owner, text);
        else await writeChunk(process.stdout, text);
        written++;
      }
    } finally {
      await files?.close();
    }
    const where = files ? `${files.written.length} file(s) in ${flags.outDir}` : 'stdout';
    process.stderr.write(`exported ${written} of ${selection.workspaces.length} workspace(s) to ${where}\n`);
    for (const [kind, count] of noteCounts) process.stderr.write(`  ${count} with ${kind} (see the comments in the output)\n`);
    if (!files && bytes > LIMITS.fileBytes)
      process.stderr.write(
        `warning: the stream is ${size(bytes)}; plan and apply read at most ${size(LIMITS.fileBytes)} per file: use --out-dir (one file per owner)\n`,
      );
    if (files && files.written.length > LIMITS.files)
      process.stderr.write(
        `warning: ${files.written.length} files; plan and apply read at most ${LIMITS.files} in one run: split the export with --query (e.g. by organization or template)\n`,
      );
    if (incomplete > 0) {
      process.stderr.write(`error: ${incomplete} workspace(s) exported incompletely or not at all (see above)\n`);
      return 1;
    }
    return 0;
  } finally {
    await conn.owners.release();
  }
}
