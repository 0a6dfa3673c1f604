// Leader election on a coordination.k8s.io/v1 Lease, with client-go's
// semantics and defaults (leaseDuration 15 s, renewDeadline 10 s,
// retryPeriod 2 s):
//   - a candidate tries every retryPeriod until it holds the lease
//     (./lease-record.ts decides; 409 on the write means someone else won);
//   - the leader renews every retryPeriod; if no renewal has succeeded for
//     renewDeadline it stops leading at once, from a timer, even while a
//     request hangs. renewDeadline < leaseDuration, so it stops before any
//     other candidate can see the lease expire: two leaders never overlap;
//   - on shutdown (run's signal) the leader tells its work to stop, keeps
//     renewing until that work has finished (in-flight external calls complete
//     under the lease), then releases the lease so another replica takes over
//     on its next try instead of after leaseDuration.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { sleep, systemClock, type Clock, type TimerHandle } from './clock.ts';
import { LeaseConflictError, type LeaseClient, type ObservedLease } from './lease-client.ts';
import { decide, nextRecord, releasedRecord, type LeaseRecord } from './lease-record.ts';
import { withTimeout } from './with-timeout.ts';

interface LeaderCallbacks {
  /**
   * Runs while this replica leads; signal aborts when it must stop (shutdown
   * or leadership lost). On shutdown the lease is held until the returned
   * promise settles, so return once in-flight work has finished.
   */
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  /**
   * Leadership ended. Called once per run that led: after release on
   * shutdown; at once on loss, without waiting for the work (already told to
   * stop by the signal), so the caller can exit before anyone else leads.
   */
  onStoppedLeading: () => void;
  /** The observed holder changed (this replica included). */
  onNewLeader?: (identity: string) => void;
}

interface LeaderElectionOptions extends LeaderCallbacks {
  lease: LeaseClient;
  /** Default: POD_NAME (or the hostname) + a random suffix, unique per process. */
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Release the lease when run's signal aborts (default true). false: keep it until it expires. */
  releaseOnCancel?: boolean;
  logger: Logger;
  clock?: Clock;
}

const DEFAULT_LEASE_DURATION_MS = 15_000;
const DEFAULT_RENEW_DEADLINE_MS = 10_000;
const DEFAULT_RETRY_PERIOD_MS = 2_000;

export function defaultIdentity(): string {
  return `${process.env.POD_NAME || hostname()}_${randomBytes(4).toString('hex')}`;
}

type Attempt = { ok: true; renewedAt: number } | { ok: false; heldBy?: string };

export class LeaderElector {
  readonly identity: string;
  readonly #opts: LeaderElectionOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  /** The lease as last read or written by us. */
  #observed: ObservedLease | undefined;
  /** Local time the lease last changed under our eyes (undefined until we saw it twice). */
  #observedChangeAt: number | undefined;
  #reportedLeader: string | undefined;
  #leading = false;
  /** Local time of the last successful write (taken before the request, so on the safe side). */
  #lastRenewedAt = 0;

  constructor(opts: LeaderElectionOptions) {
    this.#opts = opts;
    this.identity = opts.identity ?? defaultIdentity();
    this.#clock = opts.clock ?? systemClock;
    this.#leaseDurationMs = opts.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS;
    this.#renewDeadlineMs = opts.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS;
    this.#retryPeriodMs = opts.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS;
    // client-go's validation: otherwise a leader could outlive its lease.
    if (!(this.#leaseDurationMs > this.#renewDeadlineMs)) throw new RangeError('leaseDuration must be greater than renewDeadline');
    if (!(this.#renewDeadlineMs > this.#retryPeriodMs)) throw new RangeError('renewDeadline must be greater than retryPeriod');
    if (!(this.#retryPeriodMs > 0)) throw new RangeError('retryPeriod must be positive');
    if (this.#leaseDurationMs % 1000 !== 0) throw new RangeError('leaseDuration must be whole seconds (the Lease stores seconds)');
    this.#logger = opts.logger.child({ lease: opts.lease.name, identity: this.identity });
  }

  isLeader(): boolean {
    return this.#leading;
  }

  /**
   * Campaigns until leading, leads until the lease is lost or signal aborts,
   * then returns. Returns without leading if signal aborts first. Like
   * client-go, a replica that lost its lease should exit, not run again.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (!(await this.#acquire(signal))) return;
    this.#leading = true;
    this.#logger.info('started leading');
    const leader = new AbortController();
    const wake = new AbortController();
    let lost = false;
    let deadline: TimerHandle | undefined;
    const lose = (why: string) => {
      if (lost) return;
      lost = true;
      this.#leading = false;
      this.#logger.warn({ why }, 'stopped leading: lost the lease');
      leader.abort(new Error(`leadership lost: ${why}`));
      wake.abort();
    };
    const armDeadline = (renewedAt: number) => {
      if (deadline !== undefined) this.#clock.clearTimeout(deadline);
      const ms = renewedAt + this.#renewDeadlineMs - this.#clock.now();
      deadline = this.#clock.setTimeout(() => lose(`no renewal for ${this.#renewDeadlineMs} ms`), ms);
    };
    armDeadline(this.#lastRenewedAt);

    let workDone = false;
    const work = Promise.resolve()
      .then(() => this.#opts.onStartedLeading(leader.signal))
      .catch((err: unknown) => this.#logger.error({ err }, 'onStartedLeading failed'))
      .finally(() => {
        workDone = true;
        if (signal.aborted) wake.abort();
      });
    const onAbort = () => {
      leader.abort(new Error('shutting down'));
      if (workDone) wake.abort();
    };
    signal.addEventListener('abort', onAbort, { once: true });

    try {
      // Renew until lost, or until shutdown and the work has finished.
      while (!lost && !(signal.aborted && workDone)) {
        await sleep(this.#clock, this.#retryPeriodMs, wake.signal);
        if (lost || (signal.aborted && workDone)) break;
        const attempt = await this.#attempt(true);
        if (lost) break;
        if (attempt.ok) armDeadline(attempt.renewedAt);
        else if (attempt.heldBy) lose(`the lease is held by ${attempt.heldBy}`);
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (deadline !== undefined) this.#clock.clearTimeout(deadline);
    }
    if (!lost) {
      this.#leading = false;
      leader.abort(new Error('shutting down'));
      await work;
      if (this.#opts.releaseOnCancel ?? true) await this.release();
      this.#logger.info('stopped leading: shut down');
    }
    this.#opts.onStoppedLeading();
  }

  /**
   * Gives the lease up if we hold it: no holder, a 1 s duration, so the next
   * candidate takes it on its next try. Returns whether it was released.
   */
  async release(): Promise<boolean> {
    const observed = this.#observed;
    if (!observed || observed.record.holderIdentity !== this.identity) return false;
    this.#leading = false;
    try {
      const record = releasedRecord(observed.record, this.#clock.now());
      const resourceVersion = await withTimeout(
        this.#opts.lease.update(record, observed.resourceVersion),
        this.#renewDeadlineMs,
        'lease release',
        this.#clock,
      );
      this.#observed = { record, resourceVersion };
      this.#logger.info('released the lease');
      return true;
    } catch (err) {
      this.#logger.warn({ err }, 'could not release the lease; it expires on its own');
      return false;
    }
  }

  async #acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      const attempt = await this.#attempt(false);
      if (attempt.ok) {
        this.#lastRenewedAt = attempt.renewedAt;
        if (!signal.aborted) return true;
        // Shut down while the write was in flight: hand the lease straight back.
        await this.release();
        return false;
      }
      await sleep(this.#clock, this.#retryPeriodMs, signal);
    }
    return false;
  }

  /** One read-decide-write round, bounded by renewDeadline. */
  async #attempt(leading: boolean): Promise<Attempt> {
    try {
      return await withTimeout(this.#tryAcquireOrRenew(leading), this.#renewDeadlineMs, 'lease acquire/renew', this.#clock);
    } catch (err) {
      const level = err instanceof LeaseConflictError ? 'debug' : 'warn';
      this.#logger[level]({ err }, leading ? 'lease renewal failed' : 'lease acquisition failed');
      return { ok: false };
    }
  }

  async #tryAcquireOrRenew(leading: boolean): Promise<Attempt> {
    const now = this.#clock.now();
    const current = await this.#opts.lease.get();
    this.#observe(current, now);
    const decision = decide(current?.record, this.identity, now, this.#observedChangeAt);
    if (decision.action === 'wait') return { ok: false, heldBy: decision.holder };
    // A leader that finds the lease no longer its own has lost it, even if it looks free.
    if (leading && decision.action !== 'renew') return { ok: false, heldBy: current?.record.holderIdentity || '(nobody)' };
    const record: LeaseRecord = nextRecord(decision, current?.record, this.identity, this.#leaseDurationMs / 1000, now);
    const resourceVersion = current
      ? await this.#opts.lease.update(record, current.resourceVersion)
      : await this.#opts.lease.create(record);
    this.#observed = { record, resourceVersion };
    if (decision.action === 'takeover' || decision.action === 'create') {
      this.#logger.info(
        { reason: decision.action === 'takeover' ? decision.reason : 'created', transitions: record.leaseTransitions },
        'acquired the lease',
      );
    }
    this.#report(this.identity);
    return { ok: true, renewedAt: now };
  }

  #observe(current: ObservedLease | undefined, now: number): void {
    const before = this.#observed;
    if (before && current && before.resourceVersion !== current.resourceVersion) this.#observedChangeAt = now;
    if (current) {
      this.#observed = current;
      if (current.record.holderIdentity) this.#report(current.record.holderIdentity);
    }
  }

  #report(holder: string): void {
    if (holder === this.#reportedLeader) return;
    this.#reportedLeader = holder;
    try {
      this.#opts.onNewLeader?.(holder);
    } catch (err) {
      this.#logger.error({ err }, 'onNewLeader failed');
    }
  }
}
