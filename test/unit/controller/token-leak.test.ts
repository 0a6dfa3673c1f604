// Issue 18 item 4: a token from a Secret never reaches a status, a condition,
// an Event or a log line. A ClusterCoderConnection carries an admin token and
// serves tenants who can read their own Workspaces (status, Events) but must
// never learn that token. Two ways it leaked on main: a Secret value with a
// second line (fetch's error quoted the whole header value), and any message
// that quoted the token (a proxy, an unforeseen error), since statuses and
// Events were not scrubbed.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Workspace } from '../../../src/api/schema.ts';
import { CoderClient } from '../../../src/coder/client.ts';
import { ConnectionRegistry } from '../../../src/controller/connection/registry.ts';
import { Reconciler } from '../../../src/controller/workspace/reconciler.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { FakeCoder } from '../engine/fake-coder.ts';
import { clusterCoderConnection } from '../../support/coder-connection.ts';
import { workspace } from '../../support/workspace.ts';
import { CLUSTER_TEST_URLS, FakeKube } from './fake-kube.ts';

const KEY = 'team-a/dev';

const tenantWorkspace = workspace({ connectionRef: { kind: 'ClusterCoderConnection', name: 'admin' } });

const admin = clusterCoderConnection(
  {
    // Nothing listens on port 9; with a token of the right form this would be Unreachable.
    url: 'http://127.0.0.1:9',
    tokenSecretRef: { name: 'admin-token', namespace: 'coder-system', key: 'token' },
    allow: [{ namespaceSelector: { matchNames: ['team-a'] }, owners: ['*'] }],
  },
  { name: 'admin' },
);

/** Runs one reconcile of the tenant's Workspace with `secretValue` in the admin Secret; returns everything written. */
async function reconcileWith(secretValue: string, makeApi?: (token: string) => FakeCoder) {
  const kube = new FakeKube([]);
  kube.secretAnnotations = CLUSTER_TEST_URLS;
  kube.put(tenantWorkspace);
  kube.connections.set('ClusterCoderConnection/admin', admin);
  const lines: string[] = [];
  const logger = createLogger({
    level: 'trace',
    destination: new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  });
  const registry = new ConnectionRegistry({
    readSecret: async () => ({ ...(await kube.readSecret()), value: secretValue }),
    makeApi: (c) =>
      makeApi ? makeApi(c.token) : new CoderClient({ url: c.url, token: c.token, logger, sleep: async () => {}, maxRetries: 0 }),
    logger,
  });
  const reconciler = new Reconciler({
    caches: {
      workspace: (k) => kube.get(k),
      coderConnection: () => undefined,
      clusterCoderConnection: (n) => (n === 'admin' ? admin : undefined),
      namespaceLabels: () => ({}),
    },
    connections: registry,
    kube,
    settings: { deletionPolicy: 'Orphan' },
    telemetry: { logger },
  });
  await reconciler.reconcile(KEY);
  const written = JSON.stringify({ status: kube.statusPatches, events: kube.events });
  return { kube, written, logs: lines.join('') };
}

const synced = (ws: Workspace | undefined) => ws?.status?.conditions?.find((c) => c.type === 'Synced');

describe('the admin token of a ClusterCoderConnection stays out of tenants reach', () => {
  it('a Secret value with a second line: refused by form, the error names Secret and key, never the value', async () => {
    const first = 'admin-token-0123456789abcdef';
    const second = 'second-line-fedcba9876543210';
    const { kube, written, logs } = await reconcileWith(`${first}\n${second}\n`);
    for (const text of [written, logs]) {
      expect(text).not.toContain(first);
      expect(text).not.toContain(second);
    }
    const condition = synced(kube.get(KEY));
    expect(condition?.reason).toBe('ConnectionNotReady');
    expect(condition?.message).toBe(
      'key "token" of Secret coder-system/admin-token does not hold a usable Coder token: ' +
        'it spans more than one line (only one token, on one line, may be stored); store the token alone in it',
    );
    const connection = kube.connections.get('ClusterCoderConnection/admin');
    expect(connection?.status?.conditions?.find((c) => c.type === 'Ready')?.reason).toBe('InvalidToken');
  });

  it('a tab or a non-ASCII letter in the value: refused by form too, before any request', async () => {
    for (const value of ['adm1n\tzyxwvutsrqpo', 'adm1n-tökén-onmlkjihgf']) {
      let made = 0;
      const { kube, written } = await reconcileWith(value, () => (made++, new FakeCoder()));
      expect(made).toBe(0);
      expect(written).not.toContain(value);
      expect(synced(kube.get(KEY))?.message).toMatch(
        /^key "token" of Secret coder-system\/admin-token does not hold a usable Coder token: /,
      );
    }
  });

  it('a message that quotes the token (a proxy echoing it): scrubbed from every status, condition and Event', async () => {
    const token = 'admin-token-echoed-0123456789';
    const { written, logs, kube } = await reconcileWith(token, (t) => {
      const coder = new FakeCoder();
      coder.failures.getUser = new Error(`proxy refused session ${t}: try again`);
      return coder;
    });
    expect(written).not.toContain(token);
    expect(logs).not.toContain(token);
    // The message is kept, with the token replaced.
    expect(synced(kube.get(KEY))?.message).toContain('proxy refused session [REDACTED]: try again');
    expect(kube.events.map((e) => e.note).join('\n')).toContain('[REDACTED]');
  });
});
