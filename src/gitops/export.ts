// `cwo export`: Workspace declarations for the Coder workspaces a search
// query selects, read through the engine like every other run. One
// paginated list (`GET /workspaces?q=`, the query passed to Coder as is);
// then, only when asked, each owner's favorites (as that owner, as `plan`
// reads them) and each latest build's parameters (one GET per workspace, the
// expensive part: 10,000 workspaces are 10,000 reads, at --concurrency).
// Documents come out one at a time, in owner and name order, so a writer can
// stream them instead of holding the whole export.
import type { TemplateVersionParameter, WorkspaceBuildParameter } from '../coder/types.ts';
import type { WorkspaceEngine, WorkspaceOwner, ObservedWorkspace } from '../engine/index.ts';
import { type DocumentOptions, type ExportedDocument, type SkippedWorkspace, toDocument } from './export-document.ts';

interface ExportOptions extends DocumentOptions {
  engine: Pick<WorkspaceEngine, 'list' | 'observeFavorites' | 'buildParameters' | 'templateVersionParameters'>;
  /** A Coder workspace search query (`owner:alice template:go-dev`); empty: every workspace the token can see. */
  query: string;
  /** Read favorites as each owner (mints owner tokens: a site Owner token is needed). */
  favorites: boolean;
  /** Read the latest build's parameters of every workspace. */
  parameters: boolean;
  /** Parameter reads in flight. */
  concurrency: number;
}

/** One workspace's result: its document, or why it has none; `problems` make the export incomplete. */
type ExportItem = (ExportedDocument | SkippedWorkspace) & { owner: string; problems: string[] };

interface ExportSelection {
  /** The selected workspaces, by owner then name (ignoring case). */
  workspaces: ObservedWorkspace[];
  /** Per item, in the same order: the document (or skip) with its notes and problems. */
  items(): AsyncGenerator<ExportItem>;
}

export async function selectForExport(opts: ExportOptions): Promise<ExportSelection> {
  const snapshot = await opts.engine.list(opts.query.trim() === '' ? undefined : opts.query);
  const workspaces = [...snapshot.byId.values()].sort(
    (a, b) => compare(a.ownerName.toLowerCase(), b.ownerName.toLowerCase()) || compare(a.name.toLowerCase(), b.name.toLowerCase()),
  );
  let favoriteErrors = new Map<string, unknown>();
  if (opts.favorites) {
    const owners = new Map<string, WorkspaceOwner>();
    for (const ws of workspaces) owners.set(ws.ownerId, { id: ws.ownerId, username: ws.ownerName });
    favoriteErrors = await opts.engine.observeFavorites(snapshot, [...owners.values()]);
  }
  const favoriteOf = (ws: ObservedWorkspace): { favorite?: boolean; problem?: string } => {
    if (!opts.favorites) return {};
    const error = favoriteErrors.get(ws.ownerId);
    if (error !== undefined) return { problem: `favorite left out: the owner's favorites could not be read: ${messageOf(error)}` };
    const favorite = snapshot.get(ws.id)?.favorite;
    return favorite === undefined ? { problem: "favorite left out: the owner's list did not show this workspace" } : { favorite };
  };
  const parameters = new ParameterReader(opts.engine);
  const prepare = async (ws: ObservedWorkspace): Promise<ExportItem> => {
    const problems: string[] = [];
    const fav = favoriteOf(ws);
    if (fav.problem) problems.push(fav.problem);
    let values: WorkspaceBuildParameter[] | undefined;
    if (opts.parameters && ws.latestBuild.transition !== 'delete') {
      try {
        values = await parameters.of(ws);
      } catch (error) {
        problems.push(`parameters left out: they could not be read: ${messageOf(error)}`);
      }
    }
    const input = {
      workspace: ws,
      ...(fav.favorite !== undefined ? { favorite: fav.favorite } : {}),
      ...(values ? { parameters: values } : {}),
    };
    const result = toDocument(input, opts);
    if ('reason' in result) problems.push(`skipped: ${result.reason}`);
    return { ...result, owner: ws.ownerName, problems };
  };
  return {
    workspaces,
    async *items() {
      // Reads run up to `concurrency` workspaces ahead; items come out in order.
      // prepare() never rejects, so a promise waiting here cannot go unhandled.
      const window = opts.parameters ? Math.max(1, opts.concurrency) : 1;
      const ahead: Promise<ExportItem>[] = [];
      let next = 0;
      const fill = () => {
        while (ahead.length < window && next < workspaces.length) ahead.push(prepare(workspaces[next++]!));
      };
      fill();
      while (ahead.length > 0) {
        const item = await ahead.shift()!;
        fill();
        yield item;
      }
    },
  };
}

/**
 * The latest build's values of the parameters its template version defines,
 * ephemeral ones dropped (they last one build: `plan` never compares them,
 * and a declaration would pass them again at every create). A version's
 * parameters never change, so each version is read once.
 */
class ParameterReader {
  readonly #engine: ExportOptions['engine'];
  readonly #versions = new Map<string, Promise<TemplateVersionParameter[]>>();

  constructor(engine: ExportOptions['engine']) {
    this.#engine = engine;
  }

  async of(ws: ObservedWorkspace): Promise<WorkspaceBuildParameter[]> {
    const versionId = ws.latestBuild.templateVersionId;
    let defined = this.#versions.get(versionId);
    if (!defined) {
      defined = this.#engine.templateVersionParameters(versionId);
      this.#versions.set(versionId, defined);
      // A failed read is tried again for the next workspace of that version.
      defined.catch(() => this.#versions.delete(versionId));
    }
    const [values, info] = await Promise.all([this.#engine.buildParameters(ws.latestBuild.id), defined]);
    const kept = new Map(info.filter((p) => !p.ephemeral).map((p) => [p.name, p]));
    return values.filter((v) => kept.has(v.name));
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
