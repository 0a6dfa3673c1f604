// A Reconciler for tests whose Workspaces all live in team-a and use its one
// CoderConnection, `default`, over a FakeKube: no namespace labels, no
// cluster connections, Orphan by default, silent logs.
import { pino } from 'pino';
import type { CoderConnection } from '../../../src/api/schema.ts';
import type { ConnectionRegistry } from '../../../src/controller/connection/registry.ts';
import { Reconciler } from '../../../src/controller/workspace/reconciler.ts';
import type { FakeKube } from './fake-kube.ts';

export function teamReconciler(kube: FakeKube, connection: CoderConnection, registry: ConnectionRegistry, now: () => Date): Reconciler {
  return new Reconciler({
    caches: {
      workspace: (k) => kube.get(k),
      coderConnection: (k) => (k === 'team-a/default' ? connection : undefined),
      clusterCoderConnection: () => undefined,
      namespaceLabels: () => ({}),
    },
    connections: registry,
    kube,
    settings: { deletionPolicy: 'Orphan', now },
    telemetry: { logger: pino({ level: 'silent' }) },
  });
}
