// CoderConnection and ClusterCoderConnection builders, typed from the one
// schema. Most tests need "the default connection in team-a, its token in
// Secret coder"; a test names only what it varies.
import { API_VERSION, type ClusterCoderConnection, type CoderConnection } from '../../src/api/schema.ts';

/** The URL the defaults point at: never dialled by a unit test (its fake Coder answers instead). */
export const EXAMPLE_CODER_URL = 'https://coder.example.com';

/**
 * A CoderConnection as the apiserver stores it: team-a/default to
 * EXAMPLE_CODER_URL, token in Secret coder key token, generation 1. Each
 * argument's fields replace the default ones.
 */
export function coderConnection(
  spec: Partial<CoderConnection['spec']> = {},
  metadata: Partial<CoderConnection['metadata']> = {},
): CoderConnection {
  return {
    apiVersion: API_VERSION,
    kind: 'CoderConnection',
    metadata: { name: 'default', namespace: 'team-a', generation: 1, ...metadata },
    spec: { url: EXAMPLE_CODER_URL, tokenSecretRef: { name: 'coder', key: 'token' }, ...spec },
  };
}

/**
 * A ClusterCoderConnection as the apiserver stores it: shared, to
 * EXAMPLE_CODER_URL, token in Secret cwo-system/admin, allowing nobody (the
 * schema's default deny) until the test gives `allow`.
 */
export function clusterCoderConnection(
  spec: Partial<ClusterCoderConnection['spec']> = {},
  metadata: Partial<ClusterCoderConnection['metadata']> = {},
): ClusterCoderConnection {
  return {
    apiVersion: API_VERSION,
    kind: 'ClusterCoderConnection',
    metadata: { name: 'shared', generation: 1, ...metadata },
    spec: { url: EXAMPLE_CODER_URL, tokenSecretRef: { name: 'admin', key: 'token', namespace: 'cwo-system' }, allow: [], ...spec },
  };
}

/**
 * A CoderConnection manifest as a person applies it with kubectl: no server
 * fields. The spec is untyped on purpose, so a test can send the apiserver
 * one the schema refuses.
 */
export function coderConnectionManifest(name: string, namespace: string, spec: Record<string, unknown>) {
  return { apiVersion: API_VERSION, kind: 'CoderConnection' as const, metadata: { name, namespace }, spec };
}

/** A ClusterCoderConnection manifest as a person applies it: no server fields, untyped spec as above. */
export function clusterCoderConnectionManifest(name: string, spec: Record<string, unknown>) {
  return { apiVersion: API_VERSION, kind: 'ClusterCoderConnection' as const, metadata: { name }, spec };
}
