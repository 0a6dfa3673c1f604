// Event filters for updates, as controller-runtime's predicate package: which
// changes of an object are worth a reconcile. Our own status writes change
// none of generation, deletion, finalizers, labels or annotations, so a
// controller that filters on these does not echo its own writes.
import type { KubernetesObject } from '@kubernetes/client-node';

/** True when the change from `old` to `object` should enqueue. */
export type UpdatePredicate<T extends KubernetesObject = KubernetesObject> = (object: T, old: T) => boolean;

/** metadata.generation moved: the spec changed. */
export const generationChanged: UpdatePredicate = (o, p) => o.metadata?.generation !== p.metadata?.generation;

/** The object started (or stopped) being deleted. */
export const deletionChanged: UpdatePredicate = (o, p) => o.metadata?.deletionTimestamp !== p.metadata?.deletionTimestamp;

export const finalizersChanged: UpdatePredicate = (o, p) => !sameList(o.metadata?.finalizers, p.metadata?.finalizers);

export const labelsChanged: UpdatePredicate = (o, p) => !sameMap(o.metadata?.labels, p.metadata?.labels);

/** One annotation's value changed (set, edited or removed). */
export function annotationChanged(name: string): UpdatePredicate {
  return (o, p) => o.metadata?.annotations?.[name] !== p.metadata?.annotations?.[name];
}

/** Any of them holds. */
export function anyOf<T extends KubernetesObject>(...predicates: UpdatePredicate<T>[]): UpdatePredicate<T> {
  return (o, p) => predicates.some((predicate) => predicate(o, p));
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  return a.every((v, i) => v === b[i]);
}

function sameMap(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}
