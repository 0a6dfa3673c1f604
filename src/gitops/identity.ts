// Which Coder workspace each declaration means, checked across the whole run
// before any write. The file loader already refuses the same owner + name
// written the same way; here the owner is compared as Coder resolves it (a
// username ignoring case, a user UUID, `me`), and no Coder workspace may be
// bound to two declarations: apply would flip it between two specs, and
// pruning one of them would delete the workspace the other still declares.
import { CoderApiError } from '../coder/errors.ts';
import { isUuid } from '../api/patterns.ts';
import type { DesiredWorkspace, Snapshot, WorkspaceEngine, WorkspacePlan } from '../engine/index.ts';
import type { DeclarationError } from './declaration.ts';
import type { StateEntry, StateFile } from './state.ts';

/** Declarations that contradict each other or the state; nothing was written. */
export class DeclarationConflictError extends Error {
  override name = 'DeclarationConflictError';
  readonly errors: DeclarationError[];

  constructor(errors: DeclarationError[]) {
    super(errors.map((e) => `${e.file}: ${e.message}`).join('; '));
    this.errors = errors;
  }
}

/**
 * Owner as written → a key equal for equal Coder users: the user id when any
 * owner is written indirectly (a UUID or `me`), else the lower-cased
 * username, which needs no lookup (usernames are unique ignoring case).
 */
export async function ownerKeys(
  desired: DesiredWorkspace[],
  snapshot: Snapshot,
  users: Pick<WorkspaceEngine, 'user'>,
): Promise<Map<string, string>> {
  const owners = [...new Set(desired.map((d) => d.owner.toLowerCase()))];
  const keys = new Map<string, string>();
  if (!owners.some(indirect)) {
    for (const owner of owners) keys.set(owner, owner);
    return keys;
  }
  // Most owners have a workspace already: the list pass gives their id for free.
  const idByName = new Map<string, string>();
  for (const ws of snapshot.byId.values()) idByName.set(ws.ownerName.toLowerCase(), ws.ownerId.toLowerCase());
  const unresolved: string[] = [];
  for (const owner of owners) {
    if (isUuid(owner)) keys.set(owner, owner);
    else if (idByName.has(owner)) keys.set(owner, idByName.get(owner)!);
    else unresolved.push(owner);
  }
  const LOOKUPS_IN_FLIGHT = 8;
  for (let i = 0; i < unresolved.length; i += LOOKUPS_IN_FLIGHT) {
    await Promise.all(
      unresolved.slice(i, i + LOOKUPS_IN_FLIGHT).map(async (owner) => {
        try {
          keys.set(owner, (await users.user(owner)).id.toLowerCase());
        } catch (e) {
          // No such user (its create fails with Coder's 404), or one this token may not read: compared as
          // written. The checks on workspace ids (checkBindings, and after the creates) still hold.
          if (e instanceof CoderApiError && [400, 403, 404].includes(e.status)) keys.set(owner, `unknown:${owner}`);
          else throw e;
        }
      }),
    );
  }
  return keys;
}

function indirect(owner: string): boolean {
  return isUuid(owner) || owner === 'me';
}

/** Two declarations of one owner + name (owners as Coder resolves them), at every place involved. */
export function ownerDuplicates(desired: DesiredWorkspace[], keys: Map<string, string>): DeclarationError[] {
  const groups = new Map<string, DesiredWorkspace[]>();
  for (const d of desired) {
    const key = `${keys.get(d.owner.toLowerCase()) ?? d.owner.toLowerCase()}/${d.name.toLowerCase()}`;
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  const errors: DeclarationError[] = [];
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const written = [...new Set(group.map((d) => JSON.stringify(d.owner)))].join(', ');
    const what =
      `${group[0]!.owner}/${group[0]!.name} is declared ${group.length === 2 ? 'twice' : `${group.length} times`}: ${places(group)} ` +
      `(owners ${written} are one Coder user, and a Coder workspace name is unique per owner, ignoring case)`;
    for (const d of group) errors.push(at(d, 'spec.owner', what));
  }
  return errors;
}

interface Bindings {
  /** State entries of undeclared resources whose workspace a declaration of this run now binds (a metadata.name rename). */
  moved: Map<string, string>;
}

/**
 * One workspace id, one declaration. Two plans of this run on one workspace
 * are refused; so is a workspace the state binds to another resource that
 * may still be declared (its file was not part of this run). A state entry
 * whose file was read and no longer declares it hands its binding over.
 */
export function checkBindings(plans: WorkspacePlan[], state: StateFile | undefined, inScope: (entry: StateEntry) => boolean): Bindings {
  const errors: DeclarationError[] = [];
  const byId = new Map<string, WorkspacePlan[]>();
  for (const p of plans) if (p.observed) byId.set(p.observed.id, [...(byId.get(p.observed.id) ?? []), p]);
  for (const group of byId.values()) {
    if (group.length < 2) continue;
    const ws = group[0]!.observed!;
    const what =
      `${group.map((p) => p.key).join(' and ')} all mean Coder workspace ${ws.ownerName}/${ws.name} (${ws.id}): ` +
      `${places(group.map((p) => p.desired))}; a workspace can be managed by one declaration only`;
    for (const p of group) errors.push(at(p.desired, 'spec.name', what));
  }

  const moved = new Map<string, string>();
  const declared = new Set(plans.map((p) => p.key));
  const entriesById = new Map<string, StateEntry[]>();
  for (const e of Object.values(state?.entries ?? {})) entriesById.set(e.id, [...(entriesById.get(e.id) ?? []), e]);
  for (const p of plans) {
    if (!p.observed) continue;
    for (const other of entriesById.get(p.observed.id) ?? []) {
      if (other.key === p.key || declared.has(other.key)) continue; // the same resource, or refused above
      if (inScope(other)) {
        moved.set(other.key, p.key);
        continue;
      }
      errors.push(
        at(
          p.desired,
          'spec.name',
          `Coder workspace ${p.observed.ownerName}/${p.observed.name} (${p.observed.id}) is bound to ${other.key} in the state, ` +
            `declared in ${other.source}, which this run did not read; refusing to bind it to ${p.key} too. ` +
            'Remove one of the two declarations (and apply --prune over the other path), or apply both paths together',
        ),
      );
    }
  }
  if (errors.length > 0) throw new DeclarationConflictError(errors);
  return { moved };
}

function at(d: DesiredWorkspace, field: string, message: string): DeclarationError {
  return { file: d.source.file, ...(d.source.document !== undefined ? { document: d.source.document } : {}), field, message };
}

function places(group: DesiredWorkspace[]): string {
  const names = group.map((d) => `${d.source.file}${d.source.document !== undefined ? ` document ${d.source.document}` : ''}`);
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}
