// A WorkspaceSet for the fleet unit tests, with the parts a test varies.
import type { WorkspaceSet, WorkspaceSetSpec } from '../../../src/api/schema.ts';

export function workspaceSet(spec: Partial<WorkspaceSetSpec> = {}, name = 'devs', namespace = 'team-a'): WorkspaceSet {
  return {
    apiVersion: 'coderops.dev/v1alpha1',
    kind: 'WorkspaceSet',
    metadata: { name, namespace },
    spec: {
      generators: [{ users: { query: 'status:active' } }],
      template: { spec: { template: 'go-dev', ttl: '8h' } },
      ...spec,
    },
  };
}
