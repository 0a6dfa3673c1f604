// Leader election on the real apiserver, two candidates in one process with
// the default timings (15 s lease, 10 s renew deadline, 2 s retry): one
// leads; the other takes over at once when the leader releases, and only
// after the lease expired when the leader stops renewing without releasing.
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { LeaderElector } from '../../src/kube/leader-election.ts';
import { kubeLeaseClient } from '../../src/kube/lease-client.ts';
import { eventually } from '../support/eventually.ts';
import { freshNamespace, kubectlOk } from './kubectl.ts';

/** The electors' state is in this process: look often. */
const POLL = { everyMs: 20 };

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const LEASE_MS = 15_000;
const RETRY_MS = 2_000;
let ns: string;
let kc: KubeConfig;

beforeAll(async () => {
  ns = await freshNamespace('leader');
  kc = new KubeConfig();
  kc.loadFromFile(inject('kubeconfig'));
});

interface Candidate {
  elector: LeaderElector;
  stop: AbortController;
  run: Promise<void>;
  startedAt?: number;
}

/** Candidates on one lease; `leading` tracks who acts as leader, to catch overlap. */
function election(lease: string) {
  const leading = new Set<string>();
  let maxLeaders = 0;
  const start = (name: string, opts: { releaseOnCancel?: boolean } = {}): Candidate => {
    const c = {} as Candidate;
    c.stop = new AbortController();
    c.elector = new LeaderElector({
      lease: kubeLeaseClient(kc, ns, lease),
      identity: `${name}_${lease}`,
      logger,
      ...opts,
      onStartedLeading: (signal) => {
        c.startedAt = Date.now();
        leading.add(name);
        maxLeaders = Math.max(maxLeaders, leading.size);
        return new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => {
            leading.delete(name);
            resolve();
          }),
        );
      },
      onStoppedLeading: () => leading.delete(name),
    });
    c.run = c.elector.run(c.stop.signal);
    return c;
  };
  return { start, leading, maxLeaders: () => maxLeaders };
}

async function leaseSpec(
  name: string,
): Promise<{ holderIdentity?: string; renewTime?: string; acquireTime?: string; leaseTransitions?: number }> {
  return JSON.parse(await kubectlOk(['get', 'lease', name, '-n', ns, '-o', 'json'])).spec;
}

describe('leader election', () => {
  it('elects exactly one leader, shows it on the Lease, and hands over within the lease duration after a release', async () => {
    const e = election('release');
    const a = e.start('a');
    await eventually('a leader', () => e.leading.size === 1, 20_000, POLL);
    const b = e.start('b');
    // Both campaign for a while: still exactly one leader.
    await new Promise((r) => setTimeout(r, 3 * RETRY_MS));
    expect([...e.leading]).toEqual(['a']);
    expect(a.elector.isLeader()).toBe(true);
    expect(b.elector.isLeader()).toBe(false);
    const spec = await leaseSpec('release');
    expect(spec.holderIdentity).toBe(a.elector.identity);
    expect(spec.renewTime).toMatch(/\.\d{6}Z$/);

    const releasedAt = Date.now();
    a.stop.abort();
    await a.run;
    await eventually('b to take over', () => b.startedAt !== undefined, LEASE_MS, POLL);
    const takeoverMs = b.startedAt! - releasedAt;
    process.stdout.write(`[e2e] takeover after release: ${takeoverMs} ms\n`);
    expect(takeoverMs).toBeLessThan(LEASE_MS);
    const after = await leaseSpec('release');
    expect(after.holderIdentity).toBe(b.elector.identity);
    expect(after.leaseTransitions).toBe(1);
    expect(e.maxLeaders()).toBe(1);
    b.stop.abort();
    await b.run;
    expect((await leaseSpec('release')).holderIdentity).toBe('');
  }, 90_000);

  it('takes over from a leader that stopped renewing only after its lease expired', async () => {
    const e = election('crash');
    const a = e.start('a', { releaseOnCancel: false });
    await eventually('a leader', () => e.leading.size === 1, 20_000, POLL);
    const b = e.start('b');
    await new Promise((r) => setTimeout(r, 2 * RETRY_MS));
    expect([...e.leading]).toEqual(['a']);

    // The "crash": a stops renewing and does not release.
    a.stop.abort();
    await a.run;
    const crashedAt = Date.now();
    const lastRenew = Date.parse((await leaseSpec('crash')).renewTime!);
    // Until b leads, the Lease must still name a.
    const holders: Array<{ at: number; holder: string | undefined }> = [];
    while (b.startedAt === undefined && Date.now() - crashedAt < 40_000) {
      holders.push({ at: Date.now(), holder: (await leaseSpec('crash')).holderIdentity });
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(b.startedAt).toBeDefined();
    const early = holders.filter((h) => h.at < lastRenew + LEASE_MS && h.holder !== a.elector.identity);
    expect(early).toEqual([]);
    const spec = await leaseSpec('crash');
    expect(spec.holderIdentity).toBe(b.elector.identity);
    expect(spec.leaseTransitions).toBe(1);
    const acquiredAfterRenewMs = Date.parse(spec.acquireTime!) - lastRenew;
    process.stdout.write(
      `[e2e] takeover after crash: ${b.startedAt! - crashedAt} ms after the crash, ${acquiredAfterRenewMs} ms after the last renewal\n`,
    );
    // Never before expiry. At most: b saw a's last write up to one retry period
    // late (it counts the lease from that sighting too), then notices the expiry
    // on its next try, one more retry period; plus slack for a loaded machine.
    expect(acquiredAfterRenewMs).toBeGreaterThan(LEASE_MS);
    expect(acquiredAfterRenewMs).toBeLessThan(LEASE_MS + 2 * RETRY_MS + 3000);
    expect(e.maxLeaders()).toBe(1);
    b.stop.abort();
    await b.run;
  }, 90_000);
});
