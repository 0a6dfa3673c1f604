// Which scopes an owner token asks for. Coder versions disagree on the scope
// names they accept and on what a scope lets a token read
// (docs/compatibility.md), so the broker walks a short ladder, narrowest
// first, and climbs only when the server refuses a set or the token turns out
// unable to do its job (read the owner's workspaces, dormant ones included,
// and set their favorite).
import { CoderApiError, CoderIncompleteListError } from './errors.ts';
import type { CreateTokenRequest } from './types.ts';

export interface ScopeSet {
  /** How status, logs and docs name the set. */
  label: string;
  /** The scope fields of the create request. */
  request: Pick<CreateTokenRequest, 'scopes' | 'scope'>;
  /**
   * Everything the owner may do. A 403 or 404 to such a token is Coder's real
   * answer, so only a refusal of the set itself climbs past it.
   */
  full?: boolean;
}

/**
 * Narrowest first. `[workspace:read, workspace:update]` alone is not on the
 * ladder: it cannot reach dormant workspaces on any version we know, and on
 * v2.27.0 it cannot even read the owner's list.
 */
export const OWNER_TOKEN_SCOPE_SETS: readonly ScopeSet[] = [
  // Recent servers: a dormant workspace is its own RBAC resource.
  {
    label: 'workspace:read,workspace:update,workspace_dormant:read,workspace_dormant:update',
    request: { scopes: ['workspace:read', 'workspace:update', 'workspace_dormant:read', 'workspace_dormant:update'] },
  },
  // v2.27.0 refuses workspace_dormant:* and lists nothing to workspace:read.
  { label: 'coder:all', request: { scopes: ['coder:all'] }, full: true },
  // A server that knows neither: the older single `scope` field.
  { label: 'scope=all (legacy)', request: { scope: 'all' }, full: true },
];

/** A 400 to a token create that names a scope: the server does not know (or allow) one we asked for. */
export function isScopeRefusal(error: unknown): boolean {
  return error instanceof CoderApiError && error.status === 400 && /scope/i.test(error.describe());
}

/**
 * An answer that means "this token's scopes are too narrow here", not "no
 * such thing": a list that counts rows it does not return, a 403 (we are the
 * owner, so owner-only checks pass), or a 404 from a favorite write (v2.27.0
 * hides dormant workspaces from `workspace:update`). A 404 stays a 404 once
 * the widest set says so too.
 */
export function isTooNarrow(error: unknown, call: 'read' | 'favorite'): boolean {
  if (error instanceof CoderIncompleteListError) return true;
  if (!(error instanceof CoderApiError)) return false;
  return error.status === 403 || (call === 'favorite' && error.status === 404);
}

/**
 * Which rung worked, per Coder server and version, so later brokers (the next
 * reconcile, the next sync tick) start there instead of probing again. Keyed
 * by version too: after an upgrade the narrower sets are tried again.
 */
export interface ScopeMemory {
  get(server: string): number | undefined;
  set(server: string, level: number): void;
}

export class InMemoryScopeMemory implements ScopeMemory {
  readonly #levels = new Map<string, number>();
  get(server: string): number | undefined {
    return this.#levels.get(server);
  }
  set(server: string, level: number): void {
    this.#levels.set(server, level);
  }
}

/** One per process: every broker against the same server and version shares what was learnt. */
export const PROCESS_SCOPE_MEMORY: ScopeMemory = new InMemoryScopeMemory();
