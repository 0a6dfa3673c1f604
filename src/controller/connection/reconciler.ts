// Reconcile(connection id) for CoderConnection and ClusterCoderConnection
// objects themselves, so a connection reports Ready (or why not) soon after
// it is created, whether or not a Workspace uses it yet, and `kubectl wait
// --for=condition=Ready coderconnection/NAME` returns. Keys are connection ids
// (`CoderConnection/ns/name`, `ClusterCoderConnection/name`) on a queue of
// their own, fed by the connection informers and by every resync.
//   1. get the object from the cache (gone: forget its runtime, done)
//   2. the runtime: Secret read, buildinfo + users/me, first list (shared with
//      any Workspace reconcile that needs it at the same moment)
//   3. status merge patch only when it changed (quiet in steady state)
//   4. usage (connection-usage.ts): while a Workspace with deletionPolicy
//      Delete uses it, the connection and its Secret carry finalizers; once
//      none does, they are removed (a connection being deleted then goes)
//   5. not ready for a reason that may pass by itself (Secret missing or not
//      labelled yet, Coder unreachable): look again after recheckMs. A refused
//      token waits for the next resync or a change to the connection.
import type { ConnectionRegistry } from './registry.ts';
import { connectionById, connectionRefOf, type ConnectionCaches } from './lookup.ts';
import type { ConnectionStatusWriter } from './status-writer.ts';
import { IN_USE_FINALIZER, type ConnectionUsage } from './usage.ts';
import type { HandlerResult } from '../../kube/run-workers.ts';

interface ConnectionReconcilerDeps extends ConnectionCaches {
  connections: Pick<ConnectionRegistry, 'runtime' | 'invalidate'>;
  statusWriter: ConnectionStatusWriter;
  now?: () => Date;
  /** Default 15 s, the registry's own recheck period. */
  recheckMs?: number;
  /** Keeps a connection in use by Delete-policy Workspaces (connection-usage.ts); undefined: sharded, not kept. */
  usage?: ConnectionUsage;
  /** Does a Workspace with an effective deletionPolicy Delete use this connection id? (from the Workspace cache) */
  neededForDelete?: (id: string) => boolean;
}

export class ConnectionReconciler {
  readonly #d: ConnectionReconcilerDeps;

  constructor(deps: ConnectionReconcilerDeps) {
    this.#d = deps;
  }

  readonly reconcile = async (id: string): Promise<HandlerResult> => {
    const object = connectionById(id, this.#d);
    if (!object) {
      this.#d.connections.invalidate(id);
      this.#d.statusWriter.forget(id);
      return;
    }
    const ref = connectionRefOf(object);
    const { usage, neededForDelete } = this.#d;
    if (usage && neededForDelete) {
      if (neededForDelete(id))
        await usage.protect(object, ref).catch(() => undefined); // the Workspace reconciles insist
      else if (object.metadata.finalizers?.includes(IN_USE_FINALIZER)) {
        await usage.release(object, ref);
        if (object.metadata.deletionTimestamp) return; // it goes now: nothing left to report
      }
    }
    const rt = await this.#d.connections.runtime(ref);
    await this.#d.statusWriter.write(id, object, rt, this.#d.now?.() ?? new Date());
    if (!rt.state.ready && rt.state.reason !== 'Unauthorized') return { requeueAfter: this.#d.recheckMs ?? 15_000 };
    return;
  };
}
