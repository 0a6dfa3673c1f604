// Validation of documents read from files, where no apiserver runs the
// schema or its CEL rules: ajv checks the same JSON schema the CRDs carry,
// then ./workspace-rules.ts checks what CEL (or only Coder) would. Every
// problem is reported, not just the first.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { TSchema } from '@sinclair/typebox';
import type { FieldError } from './field-error.ts';
import { plainSchema } from './plain-schema.ts';
import { fieldErrors } from './schema-errors.ts';
import {
  CEL_MESSAGES,
  ClusterCoderConnectionResource,
  CoderConnectionResource,
  WorkspaceResource,
  WorkspaceSetResource,
  type ClusterCoderConnection,
  type CoderConnection,
  type Workspace,
  type WorkspaceSet,
  URL_USERINFO_PATTERN,
} from './schema.ts';
import { workspaceRuleErrors } from './workspace-rules.ts';

export type { FieldError } from './field-error.ts';
export { workspaceNameError } from './workspace-name.ts';

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

// ajv-formats is CommonJS: under nodenext its default import is the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const ajv = new Ajv({
  allErrors: true,
  strict: true,
  // parentSchema on each error, for the names of the known fields.
  verbose: true,
  // Fill defaults (connectionRef.kind, tokenSecretRef.key) as the apiserver would.
  useDefaults: true,
  keywords: ['x-kubernetes-validations'],
});
addFormats(ajv);

// Compiled on first use: compiling is most of a short CLI run's validation
// cost, and a run that reads only Workspaces never needs the other two.
const checkWorkspace = compileOnUse(WorkspaceResource);
const checkCoderConnection = compileOnUse(CoderConnectionResource);
const checkClusterCoderConnection = compileOnUse(ClusterCoderConnectionResource);
const checkWorkspaceSet = compileOnUse(WorkspaceSetResource);

export function validateWorkspace(doc: unknown): Validated<Workspace> {
  return validate<Workspace>(checkWorkspace, doc, workspaceRuleErrors);
}

/**
 * A WorkspaceSet: its schema, then the Workspace rules on its template's
 * spec (reported at spec.template.spec.*). The name fields hold
 * {{username}}: each stamped child is checked again as a Workspace.
 */
export function validateWorkspaceSet(doc: unknown): Validated<WorkspaceSet> {
  return validate<WorkspaceSet>(checkWorkspaceSet, doc, (d) => {
    const template = (d as { spec?: { template?: { spec?: unknown } } } | null)?.spec?.template?.spec;
    if (template === null || typeof template !== 'object' || Array.isArray(template)) return [];
    // A stand-in owner and no name: the member and the stamped name are checked per child.
    const { name: _perChild, ...spec } = template as Record<string, unknown>;
    return workspaceRuleErrors({ spec: { ...spec, owner: 'member' } })
      .filter((e) => e.path !== 'spec.owner')
      .map((e) => ({ ...e, path: e.path.replace(/^spec\./, 'spec.template.spec.') }));
  });
}

export function validateCoderConnection(doc: unknown): Validated<CoderConnection> {
  return validate<CoderConnection>(checkCoderConnection, doc, (d) => [
    ...urlErrors(d),
    ...(secretNamespace(d) === undefined
      ? []
      : [{ path: 'spec.tokenSecretRef.namespace', message: CEL_MESSAGES.secretNamespaceForbidden }]),
  ]);
}

export function validateClusterCoderConnection(doc: unknown): Validated<ClusterCoderConnection> {
  return validate<ClusterCoderConnection>(checkClusterCoderConnection, doc, (d) => [
    ...urlErrors(d),
    ...(hasSecretRef(d) && secretNamespace(d) === undefined
      ? [{ path: 'spec.tokenSecretRef.namespace', message: CEL_MESSAGES.secretNamespaceRequired }]
      : []),
  ]);
}

function compileOnUse(schema: TSchema): () => ValidateFunction {
  let compiled: ValidateFunction | undefined;
  return () => (compiled ??= ajv.compile(plainSchema(schema)));
}

function validate<T>(checker: () => ValidateFunction, doc: unknown, rules: (doc: unknown) => FieldError[]): Validated<T> {
  const check = checker();
  // Defaults are written into a copy: the caller's document stays as read.
  const value = structuredClone(doc);
  check(value);
  const schemaErrors = fieldErrors(
    (check.errors ?? []).filter((e) => !coveredByRules(e)),
    value,
  );
  const taken = new Set(schemaErrors.map((e) => e.path));
  // A field the schema already faulted gets no second, derived complaint.
  const ruleErrors = rules(value).filter((e) => !taken.has(e.path));
  const errors = dedupe([...schemaErrors, ...ruleErrors]);
  return errors.length === 0 ? { ok: true, value: value as T } : { ok: false, errors };
}

// spec.name's length and pattern are reported once, by the name rule, which
// says everything Coder would (reserved names too).
function coveredByRules(e: ErrorObject): boolean {
  return e.instancePath === '/spec/name' && ['pattern', 'minLength', 'maxLength'].includes(e.keyword);
}

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.path}\u0000${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const USERINFO = new RegExp(URL_USERINFO_PATTERN);

/** The CEL rule on spec.url, for files. */
function urlErrors(doc: unknown): FieldError[] {
  const url = (doc as { spec?: { url?: unknown } } | null)?.spec?.url;
  return typeof url === 'string' && USERINFO.test(url) ? [{ path: 'spec.url', message: CEL_MESSAGES.urlUserInfo }] : [];
}

function secretRef(doc: unknown): Record<string, unknown> | undefined {
  const spec = (doc as { spec?: unknown } | null)?.spec;
  const ref = (spec as { tokenSecretRef?: unknown } | null | undefined)?.tokenSecretRef;
  return ref !== null && typeof ref === 'object' && !Array.isArray(ref) ? (ref as Record<string, unknown>) : undefined;
}

function hasSecretRef(doc: unknown): boolean {
  return secretRef(doc) !== undefined;
}

function secretNamespace(doc: unknown): unknown {
  return secretRef(doc)?.['namespace'];
}
