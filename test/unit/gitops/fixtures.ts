// YAML builders for the loader tests. Each returns text with a known line
// layout, so tests can assert where an error points: that is why these stay
// hand-written YAML and not test/support's JSON manifests.
export interface WsOptions {
  name?: string;
  namespace?: string;
  owner?: string;
  coderName?: string;
  ttl?: string;
}

/**
 * Lines, counted from the first:
 *   1 apiVersion, 2 kind, 3 metadata, 4 name, [5 namespace],
 *   then spec, owner, template, [name], ttl.
 */
export function workspaceYaml(o: WsOptions = {}): string {
  return [
    'apiVersion: coderops.dev/v1alpha1',
    'kind: Workspace',
    'metadata:',
    `  name: ${o.name ?? 'dev'}`,
    ...(o.namespace ? [`  namespace: ${o.namespace}`] : []),
    'spec:',
    `  owner: ${o.owner ?? 'alice'}`,
    '  template: docker',
    ...(o.coderName ? [`  name: ${o.coderName}`] : []),
    `  ttl: ${o.ttl ?? '8h'}`,
    '',
  ].join('\n');
}

export function docs(...texts: string[]): string {
  return texts.map((t) => `---\n${t}`).join('');
}

export const CONNECTION = `apiVersion: coderops.dev/v1alpha1
kind: CoderConnection
metadata:
  name: default
spec:
  url: https://coder.example.com
  tokenSecretRef:
    name: coder-token
    key: token
`;

export const CLUSTER_CONNECTION = `apiVersion: coderops.dev/v1alpha1
kind: ClusterCoderConnection
metadata:
  name: shared
spec:
  url: https://coder.example.com
  tokenSecretRef:
    name: coder-token
    namespace: coder
`;
