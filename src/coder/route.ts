// A concrete request path together with the template it was built from.
// Metrics and logs use the template (bounded cardinality, no ids); the
// client-side rate limiter keys on the concrete path, like the server does.

export interface RoutePath {
  /** e.g. /api/v2/workspaces/{workspace}/ttl */
  readonly template: string;
  /** e.g. /api/v2/workspaces/6c1f.../ttl, every parameter percent-encoded */
  readonly path: string;
}

export function routePath(template: string, params: Record<string, string> = {}): RoutePath {
  const path = template.replace(/\{(\w+)\}/g, (_match, name: string) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`no value for {${name}} in ${template}`);
    // An empty segment or a dot segment would make the URL parser address a
    // different route (/users/../workspaces is /workspaces), so refuse them.
    if (value === '' || value === '.' || value === '..') {
      throw new TypeError(`invalid value ${JSON.stringify(value)} for {${name}} in ${template}`);
    }
    return encodeURIComponent(value);
  });
  return { template, path };
}
