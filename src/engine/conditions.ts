// Conditions as the Kubernetes API conventions have them: one per type,
// lastTransitionTime moving only when the status flips.
import type { Condition } from '../api/schema.ts';

export interface ConditionInput {
  type: 'Ready' | 'Synced' | 'Suspended' | 'Reconciling' | 'Stalled' | 'TokenURLUnbound';
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/** Upsert a condition; lastTransitionTime moves only when the status flips. */
export function setCondition(conditions: Condition[], next: ConditionInput, now: Date, generation?: number): Condition[] {
  const existing = conditions.find((c) => c.type === next.type);
  const condition: Condition = {
    type: next.type,
    status: next.status,
    reason: next.reason,
    message: next.message,
    lastTransitionTime: existing && existing.status === next.status ? existing.lastTransitionTime : now.toISOString(),
  };
  if (generation !== undefined) condition.observedGeneration = generation;
  return [...conditions.filter((c) => c.type !== next.type), condition].sort((a, b) => a.type.localeCompare(b.type));
}
