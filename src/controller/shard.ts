// Sharding by label, Flux's convention: each operator Deployment is started
// with --watch-label-selector (`coderops.dev/shard=shard1` on a shard,
// `!coderops.dev/shard` on the main instance), so the selectors split the
// Workspaces between them with no overlap and no gap. What a shard does:
//   - Workspaces: the apiserver filters them (the informer's labelSelector on
//     list and watch); a shard never sees another shard's Workspaces.
//   - Connections: read unfiltered, because a Workspace may use a connection
//     that carries another shard's label (or none), and its token and URL are
//     needed whoever owns it. Their status (Ready, rollout summary) is written
//     only by the shard whose selector matches the connection's own labels, so
//     an unlabelled connection is the main instance's and every connection has
//     exactly one status writer.
//   - Lease: one per shard (leaseNameFor), so the shards run side by side and
//     each keeps its own standby replicas.
// A Workspace relabelled to another shard leaves this shard's watch as a
// DELETED event; departureOf says what that means here: never a deletion.
// The new shard's watch sees an ADDED one, and adopts it by status.id.
import { createHash } from 'node:crypto';
import { matchesLabels, parseLabelSelector, type LabelSelector } from '../kube/label-selector.ts';

export const SHARD_LABEL = 'coderops.dev/shard';
export const DEFAULT_LEASE_NAME = 'coder-workspace-operator';

export class Shard {
  readonly selector: LabelSelector;

  /** Throws LabelSelectorError for a selector the apiserver would refuse. Empty: no sharding. */
  constructor(selectorText = '') {
    this.selector = parseLabelSelector(selectorText);
  }

  /** True when this instance watches a part of the Workspaces only. */
  get sharded(): boolean {
    return this.selector.requirements.length > 0;
  }

  /** The labelSelector for the Workspace informer; undefined when not sharded. */
  get labelSelector(): string | undefined {
    return this.sharded ? this.selector.text : undefined;
  }

  /** Whether this instance writes the status of a connection with these labels. */
  ownsConnection(labels: Readonly<Record<string, string>> | undefined): boolean {
    return matchesLabels(this.selector, labels);
  }
}

/**
 * The Lease an instance competes for. An explicit --leader-election-id wins
 * (the Helm chart passes one per shard). Otherwise: the default name without
 * a selector, and with one a name derived from it, readable and made unique by
 * a short hash (so `!a` and `a`, which read alike once slugged, never share).
 */
export function leaseNameFor(explicitId: string | undefined, shard: Shard): string {
  if (explicitId) return explicitId;
  if (!shard.sharded) return DEFAULT_LEASE_NAME;
  const slug = shard.selector.text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  const hash = createHash('sha256').update(shard.selector.text).digest('hex').slice(0, 8);
  return `${DEFAULT_LEASE_NAME}-${slug}-${hash}`;
}

/** Why a Workspace left this instance's cache. */
type Departure =
  /** Its last copy was being deleted: its deletion ran here, while it was ours, and is done. */
  | { kind: 'deleted' }
  /**
   * Relabelled out of this shard's selection, deleted with no finalizer, or
   * dropped by a relist. The three look alike: for an object that stops
   * matching a watch's selector the apiserver sends a DELETE carrying the
   * previous copy (old labels), and a relist drop only has the old copy too.
   */
  | { kind: 'left' };

/**
 * Classifies the last copy the cache held of a Workspace that left it.
 * Whatever the kind, the instance only forgets what it remembered about the
 * Workspace (the reconcile of its key finds no object): no Kubernetes and no
 * Coder call, its finalizer left in place, its deletionPolicy never run.
 * Deletion runs only for a Workspace in the cache with a deletionTimestamp
 * (decide.ts), which only the shard that owns it sees; a relabelled one is
 * the new shard's, to keep or to delete.
 */
export function departureOf(last: { metadata?: { deletionTimestamp?: unknown } }): Departure {
  return last.metadata?.deletionTimestamp !== undefined ? { kind: 'deleted' } : { kind: 'left' };
}
