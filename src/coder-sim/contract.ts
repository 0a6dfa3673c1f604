// Checks the simulator's answers against the real server's OpenAPI 2 document
// (Coder's swagger.json: the default path below, or $CODER_SWAGGER). swaggo marks few
// fields required and no field nullable, so a small, explicit list of
// relaxations below says where the Go types allow what the document does not.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

interface SwaggerOperation {
  responses?: Record<string, { schema?: unknown }>;
  parameters?: { in: string; name: string; schema?: unknown }[];
  deprecated?: boolean;
}

interface SwaggerDoc {
  /** "/api/v2" in the document coderd serves; "/" (paths carry the prefix) in the published one. */
  basePath?: string;
  paths: Record<string, Record<string, SwaggerOperation>>;
  definitions: Record<string, Record<string, unknown>>;
}

interface OperationMatch {
  /** The swagger path template, e.g. /api/v2/workspaces/{workspace}/ttl. */
  route: string;
  params: Record<string, string>;
  operation: SwaggerOperation;
}

const SCHEMA_ID = 'coder-swagger.json';

/**
 * Fields the Go structs send as explicit `null` although swagger gives a bare
 * `type: string` (docs/coder-api.md, Reading workspaces; codersdk.NullTime for builds).
 */
const NULLABLE_FIELDS: Record<string, string[]> = {
  'codersdk.Workspace': ['dormant_at', 'deleting_at', 'next_start_at'],
  // template_version_preset_id is a *uuid.UUID without omitempty: null when the build used no preset.
  'codersdk.WorkspaceBuild': ['deadline', 'max_deadline', 'template_version_preset_id'],
};

/**
 * `format: uri` fields the Go structs send as "" when unset (no omitempty):
 * a group without an avatar (codersdk.Group, and WorkspaceGroup which embeds it).
 */
const EMPTY_URI_FIELDS: Record<string, string[]> = {
  'codersdk.Group': ['avatar_url'],
  'codersdk.WorkspaceGroup': ['avatar_url'],
};

/**
 * Fields whose swaggo `enums` tag lists fewer values than the Go type has:
 * codersdk.User.status says active and suspended, but coderd creates users
 * dormant and sends `dormant` until their first login (codersdk.UserStatus
 * has all three; seen on the real-coderd tier). These take the type's own enum.
 */
const NARROWED_ENUMS: Record<string, string[]> = {
  'codersdk.User': ['status'],
};

/**
 * Formats swagger uses that are not JSON Schema formats, or are wrong:
 * Template.organization_name carries `format: url` but holds a plain name.
 * These accept any string.
 */
const LENIENT_FORMATS = ['url', 'float64', 'int64', 'key=value', 'number', 'string'];

/**
 * Routes whose swagger annotation says `{array}` while coderd's handler
 * writes one object (coderd/templateversions.go, templateVersionByName).
 */
const SINGLE_OBJECT_ROUTES = new Set(['GET /api/v2/templates/{template}/versions/{templateversionname}']);

/**
 * The same document with every path as the client sends it. The swagger that
 * a running coderd serves (CODER_SWAGGER_ENABLE) says basePath "/api/v2" and
 * leaves the prefix out of its paths; the published file puts it in.
 */
function withFullPaths(doc: SwaggerDoc): SwaggerDoc {
  const base = (doc.basePath ?? '/').replace(/\/+$/, '');
  if (base === '') return doc;
  const paths: SwaggerDoc['paths'] = {};
  for (const [route, ops] of Object.entries(doc.paths)) paths[route.startsWith(`${base}/`) ? route : `${base}${route}`] = ops;
  return { ...doc, basePath: '/', paths };
}

/**
 * Creates that coderd answers with 201 while the swagger it serves (seen on
 * v2.27.0) documents 200; the published document for later versions says 201.
 * The server is the final word (docs/compatibility.md), so a 201 is checked
 * against the documented 200 body.
 */
const CREATED_DOCUMENTED_AS_OK = new Set([
  'POST /api/v2/users/{user}/workspaces',
  'POST /api/v2/organizations/{organization}/members/{user}/workspaces',
  'POST /api/v2/workspaces/{workspace}/builds',
]);

function itemsOf(schema: unknown): unknown {
  const s = schema as { type?: string; items?: unknown };
  return s.type === 'array' && s.items !== undefined ? s.items : schema;
}

export function defaultSwaggerPath(): string {
  const fromEnv = process.env.CODER_SWAGGER;
  if (fromEnv) return fromEnv;
  // src/coder-sim → repo root is two levels up; the shared dir is its sibling.
  return fileURLToPath(new URL('../../../shared/coder-api/swagger.json', import.meta.url));
}

/** The swagger document, or undefined when the file is not there. */
export function loadSwagger(path: string = defaultSwaggerPath()): SwaggerDoc | undefined {
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as SwaggerDoc;
}

export class SwaggerContract {
  readonly doc: SwaggerDoc;
  private readonly ajv: Ajv;
  private readonly matchers: { route: string; regex: RegExp; names: string[]; literals: number }[];
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(doc: SwaggerDoc) {
    this.doc = withFullPaths(doc);
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormatsModule.default(this.ajv, ['date-time', 'uuid', 'email', 'uri']);
    for (const f of LENIENT_FORMATS) this.ajv.addFormat(f, true);
    this.ajv.addSchema({ $id: SCHEMA_ID, definitions: relaxDefinitions(doc.definitions) });
    this.matchers = Object.keys(this.doc.paths)
      .map((route) => {
        const names: string[] = [];
        const pattern = route
          .split('/')
          .map((seg) => {
            const m = /^\{(.+)\}$/.exec(seg);
            if (!m?.[1]) return seg.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
            names.push(m[1]);
            return '([^/]+)';
          })
          .join('/');
        const literals = route.split('/').filter((s) => s !== '' && !s.startsWith('{')).length;
        return { route, regex: new RegExp(`^${pattern}$`), names, literals };
      })
      // Literal segments win over parameters: /keys/tokens before /keys/{keyid}.
      .sort((a, b) => b.literals - a.literals);
  }

  /** Does swagger define this method on a template matching this concrete path? */
  matchOperation(method: string, path: string): OperationMatch | undefined {
    const verb = method.toLowerCase();
    for (const m of this.matchers) {
      const found = m.regex.exec(path);
      if (!found) continue;
      const operation = this.doc.paths[m.route]?.[verb];
      if (!operation) continue;
      const params: Record<string, string> = {};
      m.names.forEach((name, i) => (params[name] = decodeURIComponent(found[i + 1] ?? '')));
      return { route: m.route, params, operation };
    }
    return undefined;
  }

  /**
   * The JSON schema of a response: undefined when swagger does not document
   * the status, null when it is documented without a body.
   */
  responseSchemaFor(method: string, route: string, status: number): unknown {
    if (status >= 400) return { $ref: `${SCHEMA_ID}#/definitions/codersdk.Response` };
    const responses = this.doc.paths[route]?.[method.toLowerCase()]?.responses;
    const documented = responses?.[String(status)]
      ? status
      : CREATED_DOCUMENTED_AS_OK.has(`${method.toUpperCase()} ${route}`) && status === 201
        ? 200
        : status;
    const response = responses?.[String(documented)];
    if (!response) return undefined;
    if (response.schema === undefined) return null;
    return rebase(SINGLE_OBJECT_ROUTES.has(`${method.toUpperCase()} ${route}`) ? itemsOf(response.schema) : response.schema);
  }

  /** The schema of the operation's JSON body parameter, if it has one. */
  requestSchemaFor(method: string, route: string): unknown {
    const body = this.doc.paths[route]?.[method.toLowerCase()]?.parameters?.find((p) => p.in === 'body');
    return body?.schema === undefined ? undefined : rebase(body.schema);
  }

  /** Human-readable problems with one response; [] when it fits the contract. */
  checkResponse(method: string, route: string, status: number, body: unknown): string[] {
    const where = `${method.toUpperCase()} ${route} → ${status}`;
    if (status === 304) return body === undefined ? [] : [`${where}: 304 must not have a body`];
    // A known path with an unknown method: coderd leaves this to chi's
    // default handler, which answers 405 without a body.
    if (status === 405 && body === undefined) return [];
    const schema = this.responseSchemaFor(method, route, status);
    if (schema === undefined) return [`${where}: status not documented in swagger`];
    if (schema === null) return body === undefined ? [] : [`${where}: swagger documents no body, but one was sent`];
    if (body === undefined) return [`${where}: swagger documents a body, but none was sent`];
    // Go encodes an empty (nil) slice as null: seen on a real coderd v2.27.0
    // for GET /users/{user}/keys/tokens with no tokens.
    if (body === null && status < 300 && (schema as { type?: string }).type === 'array') return [];
    const problems = this.validate(`${method} ${route} ${status}`, schema, body).map((e) => `${where}: ${e}`);
    if (status >= 400) {
      const message = (body as { message?: unknown }).message;
      if (typeof message !== 'string' || message === '') problems.push(`${where}: error body without a message`);
    }
    return problems;
  }

  /** Problems with a request body against the operation's body schema. */
  checkRequest(method: string, route: string, body: unknown): string[] {
    const schema = this.requestSchemaFor(method, route);
    if (schema === undefined) return [];
    return this.validate(`request ${method} ${route}`, schema, body).map((e) => `${method.toUpperCase()} ${route} request: ${e}`);
  }

  private validate(cacheKey: string, schema: unknown, body: unknown): string[] {
    let fn = this.compiled.get(cacheKey);
    if (!fn) {
      fn = this.ajv.compile(schema as object);
      this.compiled.set(cacheKey, fn);
    }
    if (fn(body)) return [];
    return (fn.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
  }
}

let defaultContract: SwaggerContract | null | undefined;

function contractOrThrow(): SwaggerContract {
  if (defaultContract === undefined) {
    const doc = loadSwagger();
    defaultContract = doc ? new SwaggerContract(doc) : null;
  }
  if (!defaultContract) throw new Error(`swagger.json not found at ${defaultSwaggerPath()}`);
  return defaultContract;
}

/** matchOperation on the default swagger document (throws when it is missing). */
export function matchOperation(method: string, path: string): OperationMatch | undefined {
  return contractOrThrow().matchOperation(method, path);
}

/** responseSchemaFor on the default swagger document (throws when it is missing). */
export function responseSchemaFor(method: string, route: string, status: number): unknown {
  return contractOrThrow().responseSchemaFor(method, route, status);
}

/** Points `#/definitions/X` refs of an operation schema at the registered definitions. */
function rebase(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema).replace(/"#\/definitions\//g, `"${SCHEMA_ID}#/definitions/`));
}

function relaxDefinitions(defs: SwaggerDoc['definitions']): SwaggerDoc['definitions'] {
  const copy = structuredClone(defs);
  for (const [name, fields] of Object.entries(NULLABLE_FIELDS)) {
    const props = copy[name]?.properties as Record<string, unknown> | undefined;
    if (!props) continue;
    for (const field of fields) {
      const original = props[field];
      if (original) props[field] = { anyOf: [original, { type: 'null' }] };
    }
  }
  for (const [name, fields] of Object.entries(EMPTY_URI_FIELDS)) {
    const props = copy[name]?.properties as Record<string, unknown> | undefined;
    if (!props) continue;
    for (const field of fields) {
      const original = props[field];
      if (original) props[field] = { anyOf: [original, { type: 'string', maxLength: 0 }] };
    }
  }
  for (const [name, fields] of Object.entries(NARROWED_ENUMS)) {
    const props = copy[name]?.properties as Record<string, Record<string, unknown>> | undefined;
    for (const field of fields) if (props?.[field]) delete props[field]['enum'];
  }
  return copy;
}
