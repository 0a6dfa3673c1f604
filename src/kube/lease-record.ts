// The pure part of leader election: what a Lease says, whether a candidate
// may take it, and what to write. client-go's leaderelection rules:
//   - absent, released (no holder) or expired: take it;
//   - ours: renew it;
//   - someone else's and not expired: wait.
// Expired means renewTime + leaseDurationSeconds < now. We also never take a
// lease sooner than leaseDuration after we last saw it change (client-go's
// observedTime): a holder whose clock runs behind writes old-looking
// renewTimes, but its writes still show it is alive.

export interface LeaseRecord {
  /** '' when released. */
  holderIdentity: string;
  leaseDurationSeconds: number;
  /** Milliseconds since the epoch. */
  acquireTime?: number;
  renewTime?: number;
  leaseTransitions: number;
}

export type LeaseDecision =
  | { action: 'create' }
  | { action: 'renew' }
  | { action: 'takeover'; reason: 'released' | 'expired' }
  | { action: 'wait'; holder: string; expiresAt: number };

/** When the lease stops protecting its holder. */
export function leaseExpiresAt(record: LeaseRecord, observedChangeAt?: number): number {
  const renewed = Math.max(
    record.renewTime ?? record.acquireTime ?? Number.NEGATIVE_INFINITY,
    observedChangeAt ?? Number.NEGATIVE_INFINITY,
  );
  return renewed + record.leaseDurationSeconds * 1000;
}

export function decide(record: LeaseRecord | undefined, identity: string, now: number, observedChangeAt?: number): LeaseDecision {
  if (!record) return { action: 'create' };
  if (record.holderIdentity === identity) return { action: 'renew' };
  if (record.holderIdentity === '') return { action: 'takeover', reason: 'released' };
  const expiresAt = leaseExpiresAt(record, observedChangeAt);
  if (expiresAt < now) return { action: 'takeover', reason: 'expired' };
  return { action: 'wait', holder: record.holderIdentity, expiresAt };
}

/** The record to write for a create, renew or takeover decided at now. */
export function nextRecord(
  decision: Exclude<LeaseDecision, { action: 'wait' }>,
  old: LeaseRecord | undefined,
  identity: string,
  leaseDurationSeconds: number,
  now: number,
): LeaseRecord {
  if (decision.action === 'renew' && old) return { ...old, leaseDurationSeconds, renewTime: now };
  const transitions = old ? old.leaseTransitions + (old.holderIdentity !== identity ? 1 : 0) : 0;
  return { holderIdentity: identity, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: transitions };
}

/** client-go's release: no holder, a 1 s lease, so the next candidate takes over on its next try. */
export function releasedRecord(old: LeaseRecord, now: number): LeaseRecord {
  return { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: old.leaseTransitions };
}

/**
 * metav1.MicroTime: RFC 3339 with exactly six fractional digits. The
 * apiserver rejects a Lease whose times have three (what Date#toISOString
 * gives), so the digits are padded here rather than trusted to the client.
 */
export function formatMicroTime(ms: number): string {
  const iso = new Date(Math.floor(ms)).toISOString();
  return `${iso.slice(0, -1)}000Z`;
}

/** Accepts what a read returns: a string (client-node keeps MicroTime raw), a Date, or nothing. */
export function parseMicroTime(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (typeof value !== 'string' || value === '') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

export interface LeaseSpecLike {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: unknown;
  renewTime?: unknown;
  leaseTransitions?: number;
}

export function recordFromSpec(spec: LeaseSpecLike | undefined): LeaseRecord {
  const acquireTime = parseMicroTime(spec?.acquireTime);
  const renewTime = parseMicroTime(spec?.renewTime);
  return {
    holderIdentity: spec?.holderIdentity ?? '',
    leaseDurationSeconds: spec?.leaseDurationSeconds ?? 0,
    ...(acquireTime !== undefined ? { acquireTime } : {}),
    ...(renewTime !== undefined ? { renewTime } : {}),
    leaseTransitions: spec?.leaseTransitions ?? 0,
  };
}

/** The Lease spec to send, times as MicroTime strings. */
export function specFromRecord(record: LeaseRecord): Record<string, unknown> {
  return {
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    ...(record.acquireTime !== undefined ? { acquireTime: formatMicroTime(record.acquireTime) } : {}),
    ...(record.renewTime !== undefined ? { renewTime: formatMicroTime(record.renewTime) } : {}),
    leaseTransitions: record.leaseTransitions,
  };
}
