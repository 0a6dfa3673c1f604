// spec.sharing: the workspace ACL (users and groups with the role `use` or
// `admin`), read with GET /workspaces/{id}/acl and written with one PATCH of
// the entries that change. Absent: not managed, never read. Coder has the
// endpoints from v2.27.0, behind the `workspace-sharing` experiment
// (docs/compatibility.md); a server without them is a reason a person can
// act on, never a silent skip.
import { isUuid } from '../../api/patterns.ts';
import type { CoderCall } from '../../coder/call.ts';
import { noAnswer } from '../../coder/call.ts';
import { CoderApiError } from '../../coder/errors.ts';
import type { Setting } from './setting.ts';

export type SharingRole = 'use' | 'admin';

/** spec.sharing as the engine compares it: users and groups by name or UUID, each with one role. */
export interface DesiredSharing {
  users: Array<{ name: string; role: SharingRole }>;
  groups: Array<{ name: string; role: SharingRole }>;
}

/**
 * The workspace ACL as Coder answered GET /workspaces/{id}/acl, or why it
 * could not be read (a server without the endpoint, the experiment off).
 */
export type ObservedSharing =
  | {
      users: Array<{ id: string; name: string; role: SharingRole }>;
      groups: Array<{ id: string; name: string; role: SharingRole }>;
    }
  /** transient: the answer did not come or was a 5xx/429, and the next look tries again. */
  | { unavailable: string; transient?: boolean };

/** One ACL entry a sharing action changes: `role` undefined is a removal. */
export interface SharingChange {
  type: 'user' | 'group';
  /** As written in the spec (a grant) or as Coder names it (a revoke). */
  name: string;
  /** Known for an entry Coder already has. */
  id?: string;
  role?: SharingRole;
  /** The role it had before, for plan lines and events. */
  from?: SharingRole;
}

declare module '../types.ts' {
  interface SettingActions {
    /** grant: users/groups (by name or id) whose role is set; revoke: ids whose entry is removed. */
    sharing: { grant: SharingChange[]; revoke: SharingChange[] };
  }
  interface DesiredSettings {
    /** spec.sharing: the whole workspace ACL; undefined: not managed. */
    sharing?: DesiredSharing;
  }
  interface ObservedSettings {
    /** The workspace ACL; undefined: not read (only read for a declaration that manages spec.sharing). */
    sharing?: ObservedSharing;
  }
  interface SettingBlockedReasons {
    /** The server has no workspace ACL to manage (too old, the experiment off, sharing disabled). */
    SharingUnavailable: true;
    /** The ACL's answer did not come in this pass; read again at the next. */
    SharingUnreadable: true;
  }
  interface SettingFailureReasons {
    /** Coder refused the ACL's PATCH for want of the feature. */
    SharingUnavailable: true;
  }
}

/** codersdk.WorkspaceACL: users, and groups under the key `group` (singular, as coderd sends it). */
interface WorkspaceAcl {
  users: Array<{ id: string; username: string; role: SharingRole }> | null;
  group: Array<{ id: string; name: string; role: SharingRole }> | null;
}

/** codersdk.UpdateWorkspaceACL: ids to roles; "" removes the entry. */
interface UpdateWorkspaceAcl {
  user_roles: Record<string, SharingRole | ''>;
  group_roles: Record<string, SharingRole | ''>;
}

const ACL_ROUTE = '/api/v2/workspaces/{workspace}/acl';

/** GET /api/v2/workspaces/{workspace}/acl (v2.27.0+, behind the workspace-sharing experiment). */
export const readAcl: CoderCall<typeof ACL_ROUTE, undefined, WorkspaceAcl> = {
  method: 'GET',
  route: ACL_ROUTE,
  idempotent: true,
  encode: undefined,
  decode(body) {
    if (body === null || typeof body !== 'object') throw new TypeError(`GET ${ACL_ROUTE} answered without a workspace ACL`);
    const acl = body as Partial<WorkspaceAcl>;
    return { users: Array.isArray(acl.users) ? acl.users : null, group: Array.isArray(acl.group) ? acl.group : null };
  },
};

/** PATCH /api/v2/workspaces/{workspace}/acl: only the entries named change, each to the role given, so sending it again is safe. */
export const patchAcl: CoderCall<typeof ACL_ROUTE, UpdateWorkspaceAcl, void> = {
  method: 'PATCH',
  route: ACL_ROUTE,
  idempotent: true,
  encode: (req) => req,
  decode: noAnswer,
};

type Known = Exclude<ObservedSharing, { unavailable: string }>;
type Entry = { id: string; name: string; role: SharingRole };

/** Why a server has no workspace ACL to manage, said the same way for a read and a write. */
export function sharingUnavailable(status: number, said: string): string | undefined {
  // v2.24.0 has no such route (404); v2.27.0 and v2.30.0 answer 403 naming the experiment.
  if (status === 404)
    return (
      `this Coder has no workspace ACL (/api/v2/workspaces/{id}/acl answered 404: ${said}); ` +
      'spec.sharing needs Coder v2.27.0 or later with the workspace-sharing experiment on, or remove spec.sharing'
    );
  if (status === 403 && /experiment/i.test(said))
    return (
      `workspace sharing is off on this Coder (${said}); start coderd with --experiments=workspace-sharing ` +
      '(CODER_EXPERIMENTS), or remove spec.sharing'
    );
  if (status === 403 && /sharing is disabled/i.test(said))
    return `workspace sharing is disabled for the workspace's organization (${said}); enable it there, or remove spec.sharing`;
  return undefined;
}

function matches(entry: Entry, name: string): boolean {
  return isUuid(name) ? entry.id.toLowerCase() === name.toLowerCase() : entry.name.toLowerCase() === name.toLowerCase();
}

/** The grants and revocations that turn `have` into `want`, for users or groups. */
function changes(
  type: SharingChange['type'],
  want: DesiredSharing['users'],
  have: Entry[],
): { grant: SharingChange[]; revoke: SharingChange[] } {
  const grant: SharingChange[] = [];
  const kept = new Set<string>();
  for (const w of want) {
    const found = have.find((h) => matches(h, w.name));
    if (found) kept.add(found.id);
    if (found?.role === w.role) continue;
    grant.push({ type, name: w.name, role: w.role, ...(found ? { id: found.id, from: found.role } : {}) });
  }
  const revoke = have.filter((h) => !kept.has(h.id)).map((h): SharingChange => ({ type, name: h.name, id: h.id, from: h.role }));
  return { grant, revoke };
}

function entryText(c: SharingChange): string {
  return `${c.type} ${c.name}${c.role ? `=${c.role}` : ''}`;
}

export const sharingSetting: Setting<'sharing'> = {
  field: 'sharing',
  coderFields: ['user_roles', 'group_roles'],
  reasonsNeedingAction: ['SharingUnavailable'],
  label: 'sharing',
  // Absent lists inside spec.sharing share with nobody: the whole ACL is managed.
  fromSpec: (spec) =>
    spec.sharing !== undefined ? { sharing: { users: [...(spec.sharing.users ?? [])], groups: [...(spec.sharing.groups ?? [])] } } : {},
  step: () => 'setting',
  // The list shows the ACL only on v2.30.0 and only with the experiment on: one GET per managed workspace.
  read: {
    wanted: (desired) => desired.sharing !== undefined,
    async read(ws, { api }) {
      const acl = await api.send(readAcl, { workspace: ws.id });
      return {
        sharing: {
          users: (acl.users ?? []).map((u) => ({ id: u.id, name: u.username, role: u.role })),
          groups: (acl.group ?? []).map((g) => ({ id: g.id, name: g.name, role: g.role })),
        },
      };
    },
    unreadable(error) {
      const why = error instanceof CoderApiError ? sharingUnavailable(error.status, error.describe()) : undefined;
      if (why) return { sharing: { unavailable: why } };
      const said = error instanceof Error ? error.message : String(error);
      return { sharing: { unavailable: `could not read the workspace ACL: ${said}`, transient: true } };
    },
  },
  unlistedFields: ['sharing'],
  calls: [readAcl, patchAcl],
  compare(desired, observed) {
    if (desired.sharing === undefined) return undefined;
    const seen = observed.sharing;
    if (seen === undefined || 'unavailable' in seen)
      return {
        blocked: {
          field: 'sharing',
          // Only a server without sharing needs a person; an answer that did not come is read again.
          reason: seen && !seen.transient ? 'SharingUnavailable' : 'SharingUnreadable',
          message: `cannot manage spec.sharing: ${seen ? seen.unavailable : 'the workspace ACL was not read in this pass'}`,
        },
      };
    const users = changes('user', desired.sharing.users, seen.users);
    const groups = changes('group', desired.sharing.groups, seen.groups);
    const grant = [...users.grant, ...groups.grant];
    const revoke = [...users.revoke, ...groups.revoke];
    if (grant.length === 0 && revoke.length === 0) return undefined;
    return { action: { kind: 'sharing', grant, revoke } };
  },
  // The create call takes no ACL.
  atCreate: () => ({}),
  // Nor is a new workspace shared with anybody; an adopted one's ACL is read at the next look.
  createdWith: (desired) => (desired.sharing !== undefined ? { sharing: { users: [], groups: [] } } : {}),
  // A new workspace is shared with nobody: only a non-empty spec.sharing writes.
  afterCreate(desired) {
    const s = desired.sharing;
    if (!s || s.users.length + s.groups.length === 0) return undefined;
    const grant = [
      ...s.users.map((u): SharingChange => ({ type: 'user', name: u.name, role: u.role })),
      ...s.groups.map((g): SharingChange => ({ type: 'group', name: g.name, role: g.role })),
    ];
    return { kind: 'sharing', grant, revoke: [] };
  },
  async apply(action, ws, { api }) {
    const userRoles: Record<string, SharingRole | ''> = {};
    const groupRoles: Record<string, SharingRole | ''> = {};
    const before: Known = ws.sharing && !('unavailable' in ws.sharing) ? ws.sharing : { users: [], groups: [] };
    const after: Known = { users: [...before.users], groups: [...before.groups] };
    for (const c of action.revoke) {
      (c.type === 'user' ? userRoles : groupRoles)[c.id!] = '';
      if (c.type === 'user') after.users = after.users.filter((u) => u.id !== c.id);
      else after.groups = after.groups.filter((g) => g.id !== c.id);
    }
    for (const c of action.grant) {
      // A name Coder does not have yet in the ACL is looked up once: the PATCH takes ids only.
      const id = c.id ?? (c.type === 'user' ? (await api.getUser(c.name)).id : (await api.getGroupByName(ws.organizationId, c.name)).id);
      const entry = { id, name: c.name, role: c.role! };
      if (c.type === 'user') {
        userRoles[id] = c.role!;
        after.users = [...after.users.filter((u) => u.id !== id), entry];
      } else {
        groupRoles[id] = c.role!;
        after.groups = [...after.groups.filter((g) => g.id !== id), entry];
      }
    }
    await api.send(patchAcl, { workspace: ws.id }, { user_roles: userRoles, group_roles: groupRoles });
    return { ...ws, sharing: after };
  },
  report(ws) {
    const s = ws.sharing;
    if (!s || 'unavailable' in s) return {};
    const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    return {
      sharing: {
        users: s.users.map(({ name, role }) => ({ name, role })).sort(byName),
        groups: s.groups.map(({ name, role }) => ({ name, role })).sort(byName),
      },
    };
  },
  change: (action) => ({
    from: action.revoke.length ? `revoke ${action.revoke.map(entryText).join(', ')}` : 'no revocation',
    to: action.grant.length ? `grant ${action.grant.map(entryText).join(', ')}` : 'no grant',
  }),
  explainRefusal(status, said) {
    const why = sharingUnavailable(status, said);
    return why ? { reason: 'SharingUnavailable', message: `could not update spec.sharing: ${why}` } : undefined;
  },
};
