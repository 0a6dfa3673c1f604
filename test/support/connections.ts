// Connection objects for controller tests, built in one place so each test
// says only what it is about: the name, the URL, the token Secret and, for a
// ClusterCoderConnection, the rules that admit namespaces and owners.
import type { ClusterCoderConnection } from '../../src/api/schema.ts';

export function clusterCoderConnection(o: {
  name: string;
  url?: string;
  /** The token Secret (a ClusterCoderConnection's names its namespace); key defaults to `token`. */
  secret: { name: string; namespace: string; key?: string };
  allow: NonNullable<ClusterCoderConnection['spec']['allow']>;
}): ClusterCoderConnection {
  return {
    apiVersion: 'coderops.dev/v1alpha1',
    kind: 'ClusterCoderConnection',
    metadata: { name: o.name, generation: 1 },
    spec: {
      url: o.url ?? 'https://coder.example.com',
      tokenSecretRef: { name: o.secret.name, key: o.secret.key ?? 'token', namespace: o.secret.namespace },
      allow: o.allow,
    },
  };
}
