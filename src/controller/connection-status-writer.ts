// Writes a connection's status (Ready, the Coder version, renamesAllowed,
// observedGeneration) from its runtime. Shared by the connection reconciler,
// which checks every connection as soon as it appears and on each resync, and
// the Workspace reconciler, which may learn something first (renames allowed,
// once a workspace shows it). One writer, one memory of what was written, so
// neither repeats the other's write: a healthy connection is written once.
import type { Logger } from 'pino';
import type { AnyConnection } from './connection-lookup.ts';
import { connectionStatus } from './connection-status.ts';
import type { ConnectionRuntime } from './connections.ts';
import type { KubeWriter, ObjectRef } from './kube-writer.ts';
import { mergePatch } from './status-patch.ts';

export class ConnectionStatusWriter {
  readonly #kube: Pick<KubeWriter, 'patchStatus'>;
  readonly #logger: Logger;
  /** The status JSON last written per connection id: the cache may not show it yet. */
  readonly #written = new Map<string, string>();

  constructor(kube: Pick<KubeWriter, 'patchStatus'>, logger: Logger) {
    this.#kube = kube;
    this.#logger = logger;
  }

  /** true when a patch was sent. A failed write is logged, not thrown: the next look writes it. */
  async write(id: string, obj: AnyConnection, rt: ConnectionRuntime, now: Date): Promise<boolean> {
    // Renames are a deployment flag every workspace carries: the snapshot knows it once it has one.
    const state = rt.state.ready && rt.snapshot.allowRenames !== undefined ? { ...rt.state, renamesAllowed: rt.snapshot.allowRenames } : rt.state;
    const next = connectionStatus(obj.status, state, obj.metadata.generation, now);
    if (!next) return false;
    const text = JSON.stringify(next);
    if (this.#written.get(id) === text) return false;
    const target: ObjectRef = { kind: obj.kind, name: obj.metadata.name, ...(obj.kind === 'CoderConnection' ? { namespace: obj.metadata.namespace ?? 'default' } : {}) };
    try {
      await this.#kube.patchStatus(target, mergePatch(obj.status as Record<string, unknown> | undefined, next as Record<string, unknown>));
      this.#written.set(id, text);
      return true;
    } catch (error) {
      this.#logger.warn({ connection: id, err: error }, 'could not write the connection status');
      return false;
    }
  }

  forget(id: string): void {
    this.#written.delete(id);
  }
}
