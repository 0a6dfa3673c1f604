// Issue 18 item 9: the Secret's opt-in label says it holds a Coder token, not
// for which Coder. Whoever may edit a connection could point spec.url at their
// own server and receive the token. The Secret names the URLs its token may be
// sent to (coderops.dev/allowed-urls); any other URL is refused with a clear
// condition and no request. Migration: required for a ClusterCoderConnection;
// a CoderConnection whose Secret names no URL keeps working, with a warning.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ClusterCoderConnection, CoderConnection } from '../../../src/api/schema.ts';
import { ConnectionReconciler } from '../../../src/controller/connection/reconciler.ts';
import { ConnectionStatusWriter } from '../../../src/controller/connection/status-writer.ts';
import { ConnectionRegistry } from '../../../src/controller/connection/registry.ts';
import { ALLOWED_URLS_ANNOTATION, urlBinding } from '../../../src/controller/connection/token-secret.ts';
import { FakeCoder } from '../engine/fake-coder.ts';
import { clusterCoderConnection, coderConnection } from '../../support/coder-connection.ts';
import { FakeKube } from './fake-kube.ts';

const NOW = new Date('2026-11-10T12:00:00.000Z');

const namespaced = (url: string) => coderConnection({ url });
const clusterWide = (url: string) => clusterCoderConnection({ url });

/** One connection reconcile with the given Secret annotations; counts the clients made (a client is what sends requests). */
async function check(object: CoderConnection | ClusterCoderConnection, annotations: Record<string, string>) {
  const kube = new FakeKube([]);
  kube.secretAnnotations = annotations;
  const id = object.kind === 'CoderConnection' ? 'CoderConnection/team-a/default' : 'ClusterCoderConnection/shared';
  kube.connections.set(id, object);
  const coder = new FakeCoder();
  let clients = 0;
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(JSON.parse(line).msg) });
  const registry = new ConnectionRegistry({ readSecret: () => kube.readSecret(), makeApi: () => (clients++, coder), logger });
  const reconciler = new ConnectionReconciler({
    coderConnection: () => (object.kind === 'CoderConnection' ? object : undefined),
    clusterCoderConnection: () => (object.kind === 'ClusterCoderConnection' ? object : undefined),
    connections: registry,
    statusWriter: new ConnectionStatusWriter(kube, logger),
    now: () => NOW,
  });
  await reconciler.reconcile(id);
  const conditions = kube.connections.get(id)?.status?.conditions ?? [];
  return {
    clients,
    requests: coder.calls.length,
    warnings,
    ready: conditions.find((c) => c.type === 'Ready'),
    unbound: conditions.find((c) => c.type === 'TokenURLUnbound'),
  };
}

const allow = (urls: string) => ({ [ALLOWED_URLS_ANNOTATION]: urls });

describe('a token goes only to the URLs its Secret names', () => {
  // The refusal message is asserted whole in each case: the Secret and URL it names are what differ.
  it('a CoderConnection pointed at another server: refused, no client made, no request sent', async () => {
    const r = await check(namespaced('https://evil.example.net'), allow('https://coder.example.com'));
    expect(r.clients).toBe(0);
    expect(r.requests).toBe(0);
    expect(r.ready).toMatchObject({ status: 'False', reason: 'URLNotAllowed' });
    expect(r.ready?.message).toBe(
      'Secret team-a/coder does not allow its token to be sent to https://evil.example.net (annotation coderops.dev/allowed-urls); ' +
        'no request was sent. If this URL is right, add it to the annotation: ' +
        'kubectl annotate secret -n team-a coder coderops.dev/allowed-urls=https://evil.example.net',
    );
  });

  it('a ClusterCoderConnection pointed at another server: refused the same way', async () => {
    const r = await check(clusterWide('https://evil.example.net/api'), allow('https://coder.example.com'));
    expect(r.clients).toBe(0);
    expect(r.ready).toMatchObject({ status: 'False', reason: 'URLNotAllowed' });
    expect(r.ready?.message).toContain('Secret cwo-system/admin does not allow its token to be sent to https://evil.example.net/api');
  });

  it('a ClusterCoderConnection whose Secret names no URL: refused (the annotation is required for an admin token)', async () => {
    const r = await check(clusterWide('https://coder.example.com'), {});
    expect(r.clients).toBe(0);
    expect(r.ready).toMatchObject({ status: 'False', reason: 'URLNotAllowed' });
    expect(r.ready?.message).toBe(
      'Secret cwo-system/admin does not name the Coder URLs its token may be sent to (annotation coderops.dev/allowed-urls); ' +
        'add it: kubectl annotate secret -n cwo-system admin coderops.dev/allowed-urls=https://coder.example.com ' +
        '(required for a ClusterCoderConnection)',
    );
  });

  it('a CoderConnection whose Secret names no URL: still Ready (migration), with a TokenURLUnbound warning and a log line', async () => {
    const r = await check(namespaced('https://coder.example.com'), {});
    expect(r.clients).toBe(1);
    expect(r.ready).toMatchObject({ status: 'True', reason: 'Connected' });
    expect(r.unbound).toMatchObject({ status: 'True', reason: 'AllowedURLsMissing' });
    expect(r.unbound?.message).toContain('kubectl annotate secret -n team-a coder coderops.dev/allowed-urls=https://coder.example.com');
    expect(r.warnings.some((w) => w.startsWith('Secret team-a/coder does not name the Coder URLs'))).toBe(true);
  });

  it('an allowed URL: Ready, no warning; compared by scheme, host, port and path (case of the host, trailing slashes aside)', async () => {
    const r = await check(namespaced('https://Coder.Example.com/'), allow('http://other.example.com,\n https://coder.example.com//'));
    expect(r.ready).toMatchObject({ status: 'True', reason: 'Connected' });
    expect(r.unbound).toBeUndefined();
    expect(r.warnings).toEqual([]);
  });
});

describe('urlBinding', () => {
  const secret = { namespace: 'ns', name: 's' };
  it.each([
    ['another scheme', 'http://coder.example.com'],
    ['another port', 'https://coder.example.com:8443'],
    ['another path', 'https://coder.example.com/other'],
    ['a longer host', 'https://coder.example.com.evil.net'],
    ['a user-info trick', 'https://coder.example.com@evil.net'],
  ])('refuses %s', (_name, url) => {
    expect(urlBinding(allow('https://coder.example.com'), url, secret).kind).toBe('refused');
  });

  it('an annotation that names no usable URL allows none (it is not taken for a missing one)', () => {
    expect(urlBinding(allow(' , '), 'https://coder.example.com', secret).kind).toBe('refused');
    expect(urlBinding(allow('coder.example.com ftp://coder.example.com'), 'https://coder.example.com', secret).kind).toBe('refused');
  });
});
