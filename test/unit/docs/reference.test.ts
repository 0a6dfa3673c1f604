// The reference pages document every field of the schema (src/api/schema.ts),
// spec and status, and every condition reason the code can write: a field
// added to the schema without a line in docs/reference/ fails here.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import {
  ClusterCoderConnectionSpec,
  ConnectionStatus,
  CoderConnectionSpec,
  ROLLOUT_STATES,
  WorkspaceSpec,
  WorkspaceStatus,
} from '../../../src/api/schema.ts';
import { NEEDS_ACTION } from '../../../src/engine/progress-conditions.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
// The Workspace reference is two pages: the main one and presets/sharing/list-read status.
const workspaceDoc = `${read('docs/reference/workspace.md')}\n${read('docs/reference/workspace-settings.md')}`;
const connectionDoc = read('docs/reference/coderconnection.md');

/** Every property path of an object schema, arrays seen through ([] dropped), e.g. ["rollout", "window", "schedule"]. */
function paths(schema: TSchema, prefix: string[] = []): string[][] {
  const s = schema as { type?: string; properties?: Record<string, TSchema>; items?: TSchema };
  if (s.type === 'array' && s.items) return paths(s.items, prefix);
  if (s.type !== 'object' || !s.properties) return prefix.length > 0 ? [prefix] : [];
  return Object.entries(s.properties).flatMap(([key, sub]) => {
    const below = paths(sub, [...prefix, key]);
    return below.length > 0 && below.some((p) => p.length > prefix.length + 1) ? [[...prefix, key], ...below] : [[...prefix, key]];
  });
}

/** The backticked tokens of a line, `[]` dropped (`parameters[].name` -> `parameters.name`). */
function tokens(line: string): string[] {
  return [...line.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replace(/\[\]/g, '').split(/[:\s]/)[0]!);
}

/**
 * Documented: some line names the path, or a suffix of it of two segments or
 * more, in backticks; or names its last key beside a token for its parent
 * (`version` | `current` ... on one table row).
 */
function documented(doc: string, path: string[]): boolean {
  const suffixes = path.map((_, i) => path.slice(i).join('.'));
  const parent = path.length > 1 ? path[path.length - 2]! : undefined;
  return doc.split('\n').some((line) => {
    const ts = tokens(line);
    if (ts.some((t) => suffixes.slice(0, -1).includes(t) || (path.length === 1 && t === path[0]))) return true;
    if (parent === undefined || !ts.includes(path[path.length - 1]!)) return false;
    return ts.some((t) => t === parent || t.endsWith(`.${parent}`) || t.startsWith(`${parent}.`));
  });
}

function undocumented(doc: string, schema: TSchema): string[] {
  return paths(schema)
    .filter((p) => !documented(doc, p))
    .map((p) => p.join('.'));
}

describe('docs/reference/workspace.md', () => {
  it('documents every spec field', () => {
    expect(paths(WorkspaceSpec).length).toBeGreaterThan(20);
    expect(undocumented(workspaceDoc, WorkspaceSpec)).toEqual([]);
  });

  it('documents every status field', () => {
    expect(undocumented(workspaceDoc, WorkspaceStatus)).toEqual([]);
  });

  it('documents every rollout state and every reason that needs a person', () => {
    const reasons = workspaceDoc.slice(workspaceDoc.indexOf('## Condition reasons'));
    const missing = [...ROLLOUT_STATES.filter((s) => s !== 'UpToDate' && s !== 'Blocked'), ...NEEDS_ACTION].filter(
      (r) => !reasons.includes(`\`${r}\``),
    );
    expect(missing).toEqual([]);
    for (const state of ROLLOUT_STATES) expect(workspaceDoc).toContain(`\`${state}\``);
  });

  it('names every condition type', () => {
    for (const type of ['Ready', 'Synced', 'Reconciling', 'Stalled', 'Suspended']) expect(workspaceDoc).toContain(`**${type}**`);
  });
});

describe('docs/reference/coderconnection.md', () => {
  it('documents every field of both kinds, spec and status', () => {
    expect(undocumented(connectionDoc, CoderConnectionSpec)).toEqual([]);
    expect(undocumented(connectionDoc, ClusterCoderConnectionSpec)).toEqual([]);
    expect(undocumented(connectionDoc, ConnectionStatus)).toEqual([]);
  });

  it('documents every reason a connection can be not Ready', () => {
    const source = read('src/controller/connection/state.ts');
    const union = /type NotReadyReason =([^;]+);/.exec(source)![1]!;
    const reasons = [...union.matchAll(/'(\w+)'/g)].map((m) => m[1]!);
    expect(reasons.length).toBeGreaterThan(5);
    for (const reason of [...reasons, 'Connected', 'AllowedURLsMissing']) expect(connectionDoc).toContain(`| \`${reason}\` |`);
  });
});
