// Connections on their own, as a user meets them (issue 10 item 5, issue 12
// item 5): a CoderConnection reports Ready with the Coder version before any
// Workspace uses it, so `kubectl wait --for=condition=Ready coderconnection/…`
// returns; steady state writes nothing; a Secret without the opt-in label is
// never sent and the status says how to label it; a server that is not Coder
// gets our own words in the status, never its content.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coderConnectionManifest } from '../support/coder-connection.ts';
import { tokenSecret } from '../support/token-secret.ts';
import { kubectl, kubectlOk } from './kubectl.ts';
import {
  apply,
  condition,
  eventually,
  setToken,
  setUpOperatorEnv,
  TEST_RESYNC_MS,
  type OperatorEnv,
  type OperatorProcess,
} from './operator-harness.ts';

let env: OperatorEnv;
let ns: string;
let notCoder: Server;
let notCoderUrl: string;
let operator: OperatorProcess;

const getConnection = async (name: string) =>
  JSON.parse(await kubectlOk(['get', 'coderconnections.coderops.dev', name, '-n', ns, '-o', 'json']));

beforeAll(async () => {
  env = await setUpOperatorEnv({ teams: 1 });
  ns = env.teams[0]!;
  // An internal web page, not a Coder API: it answers HTML to everything.
  notCoder = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><body>internal admin console: db password hunter2</body></html>');
  });
  await new Promise<void>((r) => notCoder.listen(0, '127.0.0.1', r));
  notCoderUrl = `http://127.0.0.1:${(notCoder.address() as AddressInfo).port}`;
  operator = await env.start({ name: 'connections' });
});

afterAll(async () => {
  await env?.close();
  await new Promise((r) => notCoder?.close(r));
});

describe('CoderConnection status without any Workspace', () => {
  it('kubectl wait --for=condition=Ready returns, with the Coder version and observedGeneration', async () => {
    const ran = await kubectl(['wait', '--for=condition=Ready', '--timeout=30s', '-n', ns, 'coderconnections.coderops.dev/default']);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    const conn = await getConnection('default');
    const { version } = (await (await fetch(`${env.sim.url}/api/v2/buildinfo`)).json()) as { version: string };
    expect(conn.status.version).toBe(version);
    expect(conn.status.observedGeneration).toBe(conn.metadata.generation);
    expect(condition(conn, 'Ready')).toMatchObject({ status: 'True', reason: 'Connected' });
  });

  it('steady state: two resyncs later the connection was not written again', async () => {
    const before = (await getConnection('default')).metadata.resourceVersion;
    await new Promise((r) => setTimeout(r, TEST_RESYNC_MS * 2.5));
    expect((await getConnection('default')).metadata.resourceVersion).toBe(before);
  });

  it('a spec change is observed: observedGeneration follows the generation', async () => {
    await kubectlOk([
      'patch',
      'coderconnections.coderops.dev',
      'default',
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { requestsPerMinute: 300 } }),
    ]);
    const conn = await eventually(
      'observedGeneration 2',
      async () => {
        const c = await getConnection('default');
        return c.metadata.generation === 2 && c.status?.observedGeneration === 2 && condition(c, 'Ready')?.status === 'True'
          ? c
          : undefined;
      },
      20_000,
    );
    expect(condition(conn, 'Ready')?.observedGeneration).toBe(2);
  });
});

describe('the Secret opt-in', () => {
  it('an unlabelled Secret: Ready=False SecretNotLabelled with the command; once labelled: Ready', async () => {
    const token = env.sim.tokenFor('admin');
    await apply(
      // Written out: the missing label is what this test is about (tokenSecret() always sets it).
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'plain', namespace: ns }, stringData: { token: '' } },
      coderConnectionManifest('unlabelled', ns, { url: env.sim.url, tokenSecretRef: { name: 'plain', key: 'token' } }),
    );
    await setToken(ns, token, 'plain');
    const conn = await eventually(
      'SecretNotLabelled',
      async () => {
        const c = await getConnection('unlabelled');
        return condition(c, 'Ready')?.reason === 'SecretNotLabelled' ? c : undefined;
      },
      20_000,
    );
    expect(condition(conn, 'Ready')?.status).toBe('False');
    expect(condition(conn, 'Ready')?.message).toContain(`kubectl label secret -n ${ns} plain coderops.dev/secret-type=coder-token`);
    expect(JSON.stringify(conn)).not.toContain(token);

    await kubectlOk(['label', 'secret', 'plain', '-n', ns, 'coderops.dev/secret-type=coder-token']);
    // Not watched (Secrets are read by GET only): picked up by the 15 s recheck or the resync.
    await eventually('Ready after labelling', async () => condition(await getConnection('unlabelled'), 'Ready')?.status === 'True', 40_000);
  });

  it('a server that is not Coder: our own words in the status and Events, nothing of its page, never the token', async () => {
    await apply(
      tokenSecret('elsewhere', ns),
      coderConnectionManifest('elsewhere', ns, { url: notCoderUrl, tokenSecretRef: { name: 'elsewhere', key: 'token' } }),
    );
    await setToken(ns, 'abcdefghij-0123456789abcdefghijkl', 'elsewhere');
    const conn = await eventually(
      'NotCoder',
      async () => {
        const c = await getConnection('elsewhere');
        return condition(c, 'Ready')?.reason === 'NotCoder' ? c : undefined;
      },
      20_000,
    );
    expect(condition(conn, 'Ready')?.message).toBe(
      `server at ${new URL(notCoderUrl).host} did not answer like a Coder API (GET /api/v2/buildinfo, HTTP 200); check the connection URL`,
    );
    const all = JSON.stringify(conn) + (await kubectlOk(['get', 'events.events.k8s.io', '-n', ns, '-o', 'json']));
    expect(all).not.toContain('hunter2');
    expect(all).not.toContain('abcdefghij-0123456789abcdefghijkl');
    // --log-level=debug: not in the operator's log either.
    expect(await operator.logs()).not.toContain('abcdefghij-0123456789abcdefghijkl');
  });
});
