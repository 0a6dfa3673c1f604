// The workspace search query of GET /workspaces?q= (coderd/searchquery,
// searchTerms and Workspaces): lowercased, space-separated `key:value` terms,
// double quotes group, bare words form one name term, `owner/name` splits.
import type { ValidationError, WorkspaceStatus } from '../coder/types.ts';
import { parseGoBool } from './request-body.ts';
import { isUuid } from '../api/patterns.ts';

export interface WorkspaceFilter {
  owner?: string;
  /** Substring match (ILIKE %v%). */
  name?: string;
  template?: string;
  status?: WorkspaceStatus;
  /** true keeps dormant workspaces only; false does not filter. */
  dormant?: boolean;
  ids?: string[];
  /** The organization, resolved from its name or UUID as coderd does while parsing. */
  organizationId?: string;
  outdated?: boolean;
  lastUsedAfter?: number;
  lastUsedBefore?: number;
}

const STATUSES: WorkspaceStatus[] = [
  'pending',
  'starting',
  'running',
  'stopping',
  'stopped',
  'failed',
  'canceling',
  'canceled',
  'deleting',
  'deleted',
];
const SINGLE_KEYS = new Set([
  'owner',
  'name',
  'template',
  'status',
  'dormant',
  'organization',
  'outdated',
  'last_used_after',
  'last_used_before',
]);
// Accepted like the server does, but the simulator has no agents, AI tasks or sharing to filter on.
const IGNORED_KEYS = new Set([
  'has-agent',
  'param',
  'has-ai-task',
  'has_external_agent',
  'healthy',
  'shared',
  'shared_with_user',
  'shared_with_group',
  'include_agent_metadata',
]);

/** What the parse needs to know of the deployment: coderd resolves an organization name while parsing. */
interface QueryLookups {
  /** The id of the (not deleted) organization with this name, compared ignoring case. */
  organizationId(name: string): string | undefined;
}

const NO_LOOKUPS: QueryLookups = { organizationId: () => undefined };

export function parseWorkspaceQuery(query: string, lookups: QueryLookups = NO_LOOKUPS): WorkspaceFilter | ValidationError[] {
  const values = new Map<string, string[]>();
  const errors: ValidationError[] = [];
  const add = (key: string, value: string) => values.set(key, [...(values.get(key) ?? []), value]);
  const bare: string[] = [];
  for (const element of splitElements(query.toLowerCase())) {
    if (!element.includes(':')) {
      bare.push(element);
      continue;
    }
    const parts = element.split(':');
    if (element.startsWith(':') || element.endsWith(':')) {
      errors.push({ field: 'q', detail: `Query element ${JSON.stringify(element)} cannot start or end with ':'` });
    } else if (parts.length !== 2) {
      errors.push({ field: 'q', detail: `Query element ${JSON.stringify(element)} can only contain 1 ':'` });
    } else {
      add(parts[0] ?? '', parts[1] ?? '');
    }
  }
  if (bare.length > 0) {
    const term = bare.join(' ');
    const parts = term.split('/');
    if (parts.length === 1) add('name', term);
    else if (parts.length === 2) {
      add('owner', parts[0] ?? '');
      add('name', parts[1] ?? '');
    } else errors.push({ field: 'q', detail: `Query element ${JSON.stringify(term)} can only contain 1 '/'` });
  }
  if (errors.length > 0) return errors;

  const filter: WorkspaceFilter = {};
  for (const [key, list] of values) {
    if (SINGLE_KEYS.has(key) && list.length > 1) {
      errors.push({ field: key, detail: `Query param ${JSON.stringify(key)} provided more than once, found ${list.length} times` });
      continue;
    }
    const value = list[0] ?? '';
    switch (key) {
      case 'owner':
      case 'name':
      case 'template':
        filter[key] = value;
        break;
      case 'organization': {
        // coderd's parseOrganization: a UUID is taken as is (an unknown one just matches nothing);
        // a name must be an organization's, or the whole query is refused.
        const id = isUuid(value) ? value : lookups.organizationId(value);
        if (id === undefined)
          errors.push({
            field: key,
            detail: `Query param "organization" has invalid value: organization ${JSON.stringify(value)} either does not exist, or you are unauthorized to view it`,
          });
        else filter.organizationId = id.toLowerCase();
        break;
      }
      case 'status':
        if ((STATUSES as string[]).includes(value)) filter.status = value as WorkspaceStatus;
        else
          errors.push({
            field: key,
            detail: `Query param "status" has invalid value: ${JSON.stringify(value)} is not a valid workspace status`,
          });
        break;
      case 'dormant':
      case 'outdated': {
        const b = parseGoBool(value);
        if (b === undefined)
          errors.push({
            field: key,
            detail:
              `Query param ${JSON.stringify(key)} must be a valid boolean: ` +
              `strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`,
          });
        else filter[key] = b;
        break;
      }
      case 'id': {
        const ids = list.flatMap((v) => v.split(',')).filter((v) => v !== '');
        const bad = ids.find((v) => !isUuid(v));
        if (bad !== undefined)
          errors.push({ field: key, detail: `Query param "id" must be a valid uuid: invalid UUID length: ${bad.length}` });
        else filter.ids = ids;
        break;
      }
      case 'last_used_after':
      case 'last_used_before': {
        const t = Date.parse(value.toUpperCase());
        if (Number.isNaN(t))
          errors.push({ field: key, detail: `Query param ${JSON.stringify(key)} must be a valid date format (2006-01-02T15:04:05Z07:00)` });
        else if (key === 'last_used_after') filter.lastUsedAfter = t;
        else filter.lastUsedBefore = t;
        break;
      }
      default:
        if (!IGNORED_KEYS.has(key)) errors.push({ field: key, detail: `${JSON.stringify(key)} is not a valid query param` });
    }
  }
  return errors.length > 0 ? errors : filter;
}

/** Splits on spaces outside double quotes; the quotes themselves are dropped. */
export function splitElements(query: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of query) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ' ' && !quoted) {
      if (current !== '') out.push(current);
      current = '';
    } else current += ch;
  }
  if (current !== '') out.push(current);
  return out;
}
