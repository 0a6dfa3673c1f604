// Pure: a connection's status from its runtime state. Ready with the server
// version and whether renames are allowed; undefined when nothing changed, so
// a healthy connection is written once, not on every reconcile.
import type { ClusterCoderConnection } from '../../api/schema.ts';
import { setCondition } from '../../engine/index.ts';
import type { ConnectionState } from './registry.ts';
import { statusChanged } from '../status-patch.ts';

type ConnectionStatus = NonNullable<ClusterCoderConnection['status']>;

/** The warning condition of a CoderConnection whose Secret lacks coderops.dev/allowed-urls (token-secret.ts). */
export const TOKEN_URL_UNBOUND = 'TokenURLUnbound';

export function connectionStatus(
  previous: ConnectionStatus | undefined,
  state: ConnectionState,
  generation: number | undefined,
  now: Date,
): ConnectionStatus | undefined {
  const next: ConnectionStatus = {};
  if (generation !== undefined) next.observedGeneration = generation;
  const ready = state.ready
    ? { type: 'Ready' as const, status: 'True' as const, reason: 'Connected', message: `Coder ${state.version} accepted the token` }
    : { type: 'Ready' as const, status: 'False' as const, reason: state.reason, message: state.message };
  next.conditions = setCondition(previous?.conditions ?? [], ready, now, generation);
  // Present only while true (as kstatus's Stalled): the token's Secret names no URL it may go to.
  const warning = state.ready ? state.warning : undefined;
  next.conditions =
    warning === undefined
      ? next.conditions.filter((c) => c.type !== TOKEN_URL_UNBOUND)
      : setCondition(
          next.conditions,
          { type: TOKEN_URL_UNBOUND, status: 'True', reason: 'AllowedURLsMissing', message: warning },
          now,
          generation,
        );
  if (state.ready) {
    next.version = state.version;
    const renames = state.renamesAllowed ?? previous?.renamesAllowed;
    if (renames !== undefined) next.renamesAllowed = renames;
  } else {
    if (previous?.version !== undefined) next.version = previous.version;
    if (previous?.renamesAllowed !== undefined) next.renamesAllowed = previous.renamesAllowed;
  }
  // The Workspace reconciler keeps the rollout summary (reconciler.ts): carry it over.
  if (previous?.rollout !== undefined) next.rollout = previous.rollout;
  return statusChanged(previous as never, next as never) ? next : undefined;
}
