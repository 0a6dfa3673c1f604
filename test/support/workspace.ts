// Workspace builders, typed from the one schema. Two shapes, because tests
// hold Workspaces in two places: what a person writes (a manifest for kubectl
// or a git file: no server fields) and what the apiserver hands the operator
// (generation, resourceVersion and uid filled in, as an informer's cache has it).
import { API_VERSION, type Workspace, type WorkspaceSpec } from '../../src/api/schema.ts';

/** Where the defaults live: namespace team-a, owner alice, template docker. */
export const WORKSPACE_NAMESPACE = 'team-a';

/**
 * A Workspace as the apiserver stores it: team-a/dev for alice on template
 * docker, Coder name alice-dev, generation 1. Each argument's fields replace
 * the default ones; status is left out unless given.
 */
export function workspace(
  spec: Partial<WorkspaceSpec> = {},
  metadata: Partial<Workspace['metadata']> = {},
  status?: Workspace['status'],
): Workspace {
  return {
    apiVersion: API_VERSION,
    kind: 'Workspace',
    metadata: { name: 'dev', namespace: WORKSPACE_NAMESPACE, generation: 1, resourceVersion: '1', uid: 'uid-1', ...metadata },
    spec: { owner: 'alice', template: 'docker', name: 'alice-dev', ...spec },
    ...(status ? { status } : {}),
  };
}

/**
 * A Workspace manifest as a person writes it: only name, namespace and the
 * spec given. The spec is untyped on purpose, so a test can send the
 * apiserver or the loader a spec the schema refuses.
 */
export function workspaceManifest(name: string, spec: Record<string, unknown>, namespace = WORKSPACE_NAMESPACE) {
  return { apiVersion: API_VERSION, kind: 'Workspace' as const, metadata: { name, namespace }, spec };
}

/** The same manifest as text for a file or kubectl's stdin (JSON is YAML). */
export function workspaceYaml(name: string, spec: Record<string, unknown>, namespace = WORKSPACE_NAMESPACE): string {
  return JSON.stringify(workspaceManifest(name, spec, namespace));
}
