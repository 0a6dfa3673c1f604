// The status file of `sync`: what the cluster would hold in each Workspace's
// status, plus the revision bookkeeping Flux keeps on a Kustomization
// (lastAppliedRevision, lastAttemptedRevision). Written atomically after
// every tick, read back on start so a restarted sync resumes where it was.
import { readFile } from 'node:fs/promises';
import type { WorkspaceStatus } from '../api/schema.ts';
import { writeFileAtomic } from './atomic-write.ts';

/** Why the last tick did not (fully) apply; the CamelCase reason a person or a script can match. */
export type SyncReason =
  | 'FetchFailed'
  | 'RefNotFound'
  | 'PathNotFound'
  | 'InvalidDeclarations'
  | 'HistoryRewritten'
  /** A WorkspaceSet held its pass (a failed generator, a suspicious empty result, too many removals): nothing applied. */
  | 'SetHeld'
  | 'CoderUnavailable'
  | 'ApplyFailed';

export interface SyncError {
  reason: SyncReason;
  message: string;
  /** Repo-relative file, for declaration errors. */
  file?: string;
  document?: number;
  line?: number;
  column?: number;
  field?: string;
  /** The workspace a Coder refusal concerns. */
  workspace?: string;
}

export interface SyncStatusFile {
  version: 1;
  /** Without credentials. */
  repo: string;
  ref: string;
  path: string;
  /** The commit whose declarations Coder was last made to match; it stays in force while later commits fail. */
  lastAppliedRevision?: string;
  lastAppliedTime?: string;
  /** The commit the last tick looked at, applied or not. */
  lastAttemptedRevision?: string;
  lastAttemptTime?: string;
  /** Applied | UpToDate, or one of SyncReason. */
  result?: string;
  errors: SyncError[];
  workspaces: Record<string, WorkspaceStatus>;
}

export class SyncStatusError extends Error {
  override name = 'SyncStatusError';
}

export function emptySyncStatus(repo: string, ref: string, path: string): SyncStatusFile {
  return { version: 1, repo, ref, path, errors: [], workspaces: {} };
}

/** A missing file is a first run (undefined); a file we cannot read is an error, not a silent fresh start. */
export async function readSyncStatus(path: string): Promise<SyncStatusFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SyncStatusError(`cannot read status file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new SyncStatusError(`status file ${path} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const bad = (what: string) => new SyncStatusError(`status file ${path} is not a sync status file: ${what}`);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw bad('expected a JSON object');
  const d = data as Record<string, unknown>;
  if (d['version'] !== 1) throw bad('version must be 1');
  for (const field of ['repo', 'ref', 'path'] as const) if (typeof d[field] !== 'string') throw bad(`${field} must be a string`);
  for (const field of ['lastAppliedRevision', 'lastAttemptedRevision'] as const) {
    if (d[field] !== undefined && (typeof d[field] !== 'string' || !/^[0-9a-f]{40,64}$/.test(d[field])))
      throw bad(`${field} must be a commit id`);
  }
  if (!Array.isArray(d['errors'])) throw bad('errors must be an array');
  if (typeof d['workspaces'] !== 'object' || d['workspaces'] === null) throw bad('workspaces must be an object');
  return data as SyncStatusFile;
}

/** Stable output: keys in a fixed order and workspaces sorted, so the file diffs well. */
export async function writeSyncStatus(path: string, status: SyncStatusFile): Promise<void> {
  const workspaces: Record<string, WorkspaceStatus> = {};
  for (const key of Object.keys(status.workspaces).sort()) workspaces[key] = status.workspaces[key]!;
  const ordered: SyncStatusFile = {
    version: 1,
    repo: status.repo,
    ref: status.ref,
    path: status.path,
    ...(status.lastAppliedRevision ? { lastAppliedRevision: status.lastAppliedRevision } : {}),
    ...(status.lastAppliedTime ? { lastAppliedTime: status.lastAppliedTime } : {}),
    ...(status.lastAttemptedRevision ? { lastAttemptedRevision: status.lastAttemptedRevision } : {}),
    ...(status.lastAttemptTime ? { lastAttemptTime: status.lastAttemptTime } : {}),
    ...(status.result ? { result: status.result } : {}),
    errors: status.errors,
    workspaces,
  };
  await writeFileAtomic(path, `${JSON.stringify(ordered, null, 2)}\n`);
}
