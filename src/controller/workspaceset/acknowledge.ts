// Acknowledging a held removal. A pass that would remove more children than
// spec.maxRemovals, or that finds no members where there were some, is held
// (the fleet core's decideMembership); the held pass names a value that
// covers exactly that batch of children and removals, and the pass goes
// ahead once the set carries it:
//   kubectl annotate workspaceset NAME coderops.dev/acknowledge-removals=VALUE --overwrite
// One more member leaving, or another mass removal next week, is a new batch
// with a new value, and is held again.
export const ACKNOWLEDGE_REMOVALS = 'coderops.dev/acknowledge-removals';

/** The command that acknowledges one held pass, for the condition message. */
export function acknowledgeCommand(namespace: string, set: string, value: string): string {
  return `kubectl annotate workspaceset ${set} -n ${namespace} ${ACKNOWLEDGE_REMOVALS}=${value} --overwrite`;
}
