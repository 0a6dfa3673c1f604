// The user search query of GET /users?q= (coderd/searchquery.Users): the
// query lowercased, space-separated `key:value` terms, a bare word searching
// username and email. The simulator filters on what it models (search,
// status, role, login_type); the date terms are accepted and parsed like
// coderd's and filter on created_at, last_seen_at counting as now.
import type { ValidationError } from '../coder/types.ts';
import type { SimUser } from './model.ts';
import { splitElements } from './search-query.ts';

interface UserFilter {
  search?: string;
  /** Any of these (a repeated key, or a comma list). */
  status?: string[];
  role?: string[];
  loginType?: string[];
  createdAfter?: number;
  createdBefore?: number;
}

const STATUSES = ['active', 'dormant', 'suspended'];
const LOGIN_TYPES = ['password', 'github', 'oidc', 'token', 'none'];
const TIME_KEYS = ['created_after', 'created_before', 'last_seen_after', 'last_seen_before'];
const KNOWN = new Set(['search', 'status', 'role', 'login_type', 'github_com_user_id', ...TIME_KEYS]);

export function parseUserQuery(query: string): UserFilter | ValidationError[] {
  const values = new Map<string, string[]>();
  const errors: ValidationError[] = [];
  const add = (key: string, value: string) => values.set(key, [...(values.get(key) ?? []), value]);
  for (const element of splitElements(query.toLowerCase())) {
    if (element.startsWith(':') || element.endsWith(':')) {
      return [{ field: 'q', detail: `Query element ${JSON.stringify(element)} cannot start or end with ':'` }];
    }
    const parts = element.split(':');
    if (parts.length === 1) add('search', element);
    else if (parts.length === 2) add(parts[0]!, parts[1]!);
    else return [{ field: 'q', detail: `Query element ${JSON.stringify(element)} can only contain 1 ':'` }];
  }
  const filter: UserFilter = {};
  for (const [key, list] of values) {
    if (!KNOWN.has(key)) {
      errors.push({ field: key, detail: `${JSON.stringify(key)} is not a valid query param` });
      continue;
    }
    const items = list.flatMap((v) => v.split(',')).filter((v) => v !== '');
    switch (key) {
      case 'search':
        filter.search = list[0]!; // add() never leaves a key with an empty list
        break;
      case 'status':
      case 'login_type': {
        const allowed = key === 'status' ? STATUSES : LOGIN_TYPES;
        const bad = items.find((v) => !allowed.includes(v));
        if (bad !== undefined)
          errors.push({
            field: key,
            detail: `Query param ${JSON.stringify(key)} has invalid value: ${JSON.stringify(bad)} is not a valid value`,
          });
        else if (key === 'status') filter.status = items;
        else filter.loginType = items;
        break;
      }
      case 'role':
        filter.role = items;
        break;
      case 'created_after':
      case 'created_before': {
        const at = Date.parse(list[0] ?? '');
        if (Number.isNaN(at))
          errors.push({
            field: key,
            detail: `Query param ${JSON.stringify(key)} must be a valid date format (2006-01-02T15:04:05.999999999Z07:00)`,
          });
        else if (key === 'created_after') filter.createdAfter = at;
        else filter.createdBefore = at;
        break;
      }
    }
  }
  return errors.length > 0 ? errors : filter;
}

/** Whether a user passes the filter. Everyone is a `member` (the implied site role). */
export function matchesUser(user: SimUser, filter: UserFilter): boolean {
  if (filter.search !== undefined) {
    const s = filter.search;
    if (!user.username.toLowerCase().includes(s) && !user.email.toLowerCase().includes(s)) return false;
  }
  if (filter.status && !filter.status.includes(user.status)) return false;
  if (filter.role && !filter.role.some((r) => r === 'member' || (user.siteRoles as string[]).includes(r))) return false;
  if (filter.loginType && !filter.loginType.includes('password')) return false;
  if (filter.createdAfter !== undefined && user.createdAt <= filter.createdAfter) return false;
  if (filter.createdBefore !== undefined && user.createdAt >= filter.createdBefore) return false;
  return true;
}
