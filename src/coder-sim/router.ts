// The route table's types and matcher. Routes are named by their swagger path
// template, so a recorded call and a contract check speak the same language.
import type { SimApiKey, SimUser } from './model.ts';
import type { StructSpec } from './request-body.ts';
import type { SimResponse } from './responses.ts';
import type { SimState } from './state.ts';
import type { VersionProfile } from './versions.ts';

export interface HandlerContext {
  state: SimState;
  /** The simulator's base URL, for buildinfo. */
  baseUrl: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The authenticated caller (every route here needs one except buildinfo). */
  actor: SimUser;
  /** The caller's API key (its scopes), when authenticated. */
  key?: SimApiKey;
  /** The decoded JSON body, for routes that declare a body spec. */
  body: Record<string, unknown>;
}

export interface Route {
  method: string;
  /** The swagger path template, e.g. /api/v2/workspaces/{workspace}/ttl. */
  template: string;
  /** false only for /buildinfo. */
  auth: boolean;
  /** Present when the route reads a JSON body. */
  bodySpec?: StructSpec;
  handler: (ctx: HandlerContext) => SimResponse;
  /** Absent from some versions' servers (and their swagger): which profiles have it. Default: all. */
  servedBy?: (profile: VersionProfile) => boolean;
}

type RouteMatch =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  | { kind: 'method-not-allowed'; template: string }
  | { kind: 'not-found' };

interface Compiled {
  template: string;
  regex: RegExp;
  names: string[];
  literals: number;
  byMethod: Map<string, Route>;
}

export class Router {
  private readonly compiled: Compiled[] = [];

  constructor(routes: Route[]) {
    const byTemplate = new Map<string, Compiled>();
    for (const route of routes) {
      let entry = byTemplate.get(route.template);
      if (!entry) {
        const names: string[] = [];
        const pattern = route.template
          .split('/')
          .map((seg) => {
            const m = /^\{(.+)\}$/.exec(seg);
            if (!m?.[1]) return seg;
            names.push(m[1]);
            return '([^/]+)';
          })
          .join('/');
        const literals = route.template.split('/').filter((s) => s !== '' && !s.startsWith('{')).length;
        entry = { template: route.template, regex: new RegExp(`^${pattern}/?$`), names, literals, byMethod: new Map() };
        byTemplate.set(route.template, entry);
        this.compiled.push(entry);
      }
      entry.byMethod.set(route.method, route);
    }
    // Literal segments win over parameters, like chi: /keys/tokens before /keys/{keyid}.
    this.compiled.sort((a, b) => b.literals - a.literals);
  }

  match(method: string, path: string): RouteMatch {
    let methodMismatch: string | undefined;
    for (const entry of this.compiled) {
      const found = entry.regex.exec(path);
      if (!found) continue;
      const route = entry.byMethod.get(method);
      if (!route) {
        methodMismatch ??= entry.template;
        continue;
      }
      const params: Record<string, string> = {};
      entry.names.forEach((name, i) => (params[name] = safeDecode(found[i + 1] ?? '')));
      return { kind: 'found', route, params };
    }
    return methodMismatch ? { kind: 'method-not-allowed', template: methodMismatch } : { kind: 'not-found' };
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
