// spec.sharing: the workspace ACL (users and groups with the role `use` or
// `admin`), read with GET /workspaces/{id}/acl and written with one PATCH of
// the entries that change. Absent: not managed, never read. Coder has the
// endpoints from v2.27.0, behind the `workspace-sharing` experiment
// (docs/compatibility.md); a server without them is a reason a person can
// act on, never a silent skip.
import { isUuid } from '../../api/patterns.ts';
import type { DesiredSharing, ObservedSharing, SharingChange, SharingRole } from '../types.ts';
import type { Setting } from './setting.ts';

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
    await api.patchWorkspaceAcl(ws.id, { user_roles: userRoles, group_roles: groupRoles });
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
