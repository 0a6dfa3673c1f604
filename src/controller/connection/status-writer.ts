// Writes a connection's status (Ready, the Coder version, renamesAllowed,
// observedGeneration) from its runtime. Shared by the connection reconciler,
// which checks every connection as soon as it appears and on each resync, and
// the Workspace reconciler, which may learn something first (renames allowed,
// once a workspace shows it). One writer, one memory of what was written, so
// neither repeats the other's write: a healthy connection is written once.
// It is the one writer of a connection's status, the rollout summary the
// Workspace reconciler counts included.
import type { Logger } from 'pino';
import type { AnyConnection } from './lookup.ts';
import { connectionStatus } from './status.ts';
import type { ConnectionRuntime } from './registry.ts';
import type { KubeWriter, ObjectRef } from '../kube-writer.ts';
import { scrubbingKubeWriter } from '../scrubbing-kube-writer.ts';
import { mergePatch } from '../status-patch.ts';

type ConnectionStatus = NonNullable<AnyConnection['status']>;

export class ConnectionStatusWriter {
  readonly #kube: Pick<KubeWriter, 'patchStatus'>;
  readonly #logger: Logger;
  /**
   * The status last written per connection id: the cache may not show it yet,
   * and computing from an older cached status would give a new
   * lastTransitionTime, so a second write of the same news. Only the operator
   * (with shards: the one shard that owns the connection) writes a connection's
   * status, so what it wrote last is the status.
   */
  readonly #written = new Map<string, { uid: string | undefined; status: ConnectionStatus }>();

  /** The rollout summary last written per connection id, as JSON. */
  readonly #rolloutWritten = new Map<string, string>();

  /** Sharded (../shard.ts): another shard's connection is read, never written. */
  readonly #owns: (obj: AnyConnection) => boolean;

  constructor(kube: Pick<KubeWriter, 'patchStatus'>, logger: Logger, owns: (obj: AnyConnection) => boolean = () => true) {
    this.#kube = scrubbingKubeWriter(kube);
    this.#logger = logger;
    this.#owns = owns;
  }

  /** true when a patch was sent. A failed write is logged, not thrown: the next look writes it. */
  async write(id: string, obj: AnyConnection, rt: ConnectionRuntime, now: Date): Promise<boolean> {
    if (!this.#owns(obj)) return false;
    // Renames are a deployment flag every workspace carries: the snapshot knows it once it has one.
    const state =
      rt.state.ready && rt.snapshot.allowRenames !== undefined ? { ...rt.state, renamesAllowed: rt.snapshot.allowRenames } : rt.state;
    // A connection deleted and made again under the same name is a new object (uid) with no status.
    const mine = this.#written.get(id);
    const previous = mine && mine.uid === obj.metadata.uid ? mine.status : obj.status;
    const next = connectionStatus(previous, state, obj.metadata.generation, now);
    if (!next) return false;
    try {
      await this.#kube.patchStatus(
        targetOf(obj),
        mergePatch(previous as Record<string, unknown> | undefined, next as Record<string, unknown>),
      );
      this.#written.set(id, { uid: obj.metadata.uid, status: next });
      return true;
    } catch (error) {
      this.#logger.warn({ connection: id, err: error }, 'could not write the connection status');
      return false;
    }
  }

  /**
   * status.rollout: the connection's Workspaces per rollout state, patched only
   * when the counts changed (an idle resync writes nothing; a connection without
   * updates never gets one). A failed write is logged; the next reconcile tries again.
   */
  async writeRollout(id: string, obj: AnyConnection, counts: NonNullable<ConnectionStatus['rollout']>): Promise<void> {
    if (!this.#owns(obj)) return;
    const text = JSON.stringify(counts);
    const before =
      this.#rolloutWritten.get(id) ??
      (obj.status?.rollout
        ? JSON.stringify(obj.status.rollout)
        : JSON.stringify({ upToDate: 0, updating: 0, waiting: 0, blocked: 0, failed: 0 }));
    if (before === text) return;
    try {
      await this.#kube.patchStatus(targetOf(obj), { rollout: counts });
      this.#rolloutWritten.set(id, text);
    } catch (error) {
      this.#logger.warn({ connection: id, err: error }, 'could not write the rollout summary of the connection');
    }
  }

  forget(id: string): void {
    this.#written.delete(id);
  }
}

function targetOf(obj: AnyConnection): ObjectRef {
  return {
    kind: obj.kind,
    name: obj.metadata.name,
    ...(obj.kind === 'CoderConnection' ? { namespace: obj.metadata.namespace ?? 'default' } : {}),
  };
}
