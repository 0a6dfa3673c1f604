// What loading declarations produces, shared by the loader's parts and the
// CLI that prints it. Errors carry only paths, positions and spec text: a
// declaration never holds a secret (tokens live in Secrets or flags), and we
// never echo source lines that might (see parse.ts).
import type { RolloutPolicy, Workspace, WorkspaceSet } from '../api/schema.ts';

export interface DeclarationError {
  file: string;
  /** Which YAML document of the file, counted from 1. */
  document?: number;
  /** Field path inside the document, e.g. `spec.ttl` or `items[3].spec.ttl`. */
  field?: string;
  /** 1-based. */
  line?: number;
  /** 1-based. */
  column?: number;
  message: string;
  /**
   * The lines around the position with a caret (text output only; never in
   * -o json or markdown). Only for documents of our kinds: a file that is
   * not ours (a Secret) is never quoted.
   */
  frame?: string;
}

export interface LoadedWorkspace {
  /** document: counted from 1. */
  source: { file: string; document: number };
  workspace: Workspace;
  /** `${namespace}/${metadata.name}`; namespace defaults to `default`. */
  key: string;
  /** The Coder workspace name: spec.name ?? metadata.name. */
  coderName: string;
}

export interface LoadedSet {
  /** document: counted from 1. */
  source: { file: string; document: number };
  set: WorkspaceSet;
  /** `${namespace}/${metadata.name}`; namespace defaults to `default`. */
  key: string;
}

export interface IgnoredDocument {
  file: string;
  document: number;
  kind: string;
  name?: string;
  /** A connection's spec.rollout: the operator's policy, which the CLI takes from flags instead. */
  rollout?: RolloutPolicy;
}

export interface LoadResult {
  workspaces: LoadedWorkspace[];
  /** WorkspaceSets: their children are Workspaces once expanded against Coder (set-expansion.ts). */
  sets: LoadedSet[];
  errors: DeclarationError[];
  /** Valid documents the CLI does not act on (connections: it takes its connection from flags). */
  ignored: IgnoredDocument[];
}

/** `file: document N (line L:C): field: message`, leaving out what is unknown. */
export function formatDeclarationError(e: DeclarationError): string {
  let where = e.file;
  const position = e.line !== undefined ? `line ${e.line}${e.column !== undefined ? `:${e.column}` : ''}` : undefined;
  if (e.document !== undefined) where += `: document ${e.document}${position ? ` (${position})` : ''}`;
  else if (position) where += `: ${position}`;
  return `${where}: ${e.field ? `${e.field}: ` : ''}${e.message}`;
}
