// SharedConnectionsKubeConfig: every Kubernetes call through one KubeConfig
// reuses one keep-alive connection instead of a TLS handshake per request,
// and TLS verification is exactly as strict as client-node's own.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SharedConnectionsKubeConfig } from '../../../src/kube/http-agent-pool.ts';
import { kubeRequest } from '../../../src/kube/api-request.ts';

/** A self-signed certificate for 127.0.0.1, made with openssl (as the e2e control plane does). */
function selfSigned(dir: string, name: string): { cert: Buffer; key: Buffer } {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(dir, `${name}.key`),
      '-out',
      join(dir, `${name}.crt`),
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-days',
      '1',
    ],
    { stdio: 'ignore' },
  );
  return { cert: readFileSync(join(dir, `${name}.crt`)), key: readFileSync(join(dir, `${name}.key`)) };
}

let dir: string;
let server: Server;
let url: string;
let serverCert: Buffer;
let otherCa: Buffer;
const counts = { connections: 0, handshakes: 0, requests: 0 };
const tokens: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cwo-shared-conn-'));
  const serving = selfSigned(dir, 'serving');
  serverCert = serving.cert;
  otherCa = selfSigned(dir, 'other').cert;
  server = createServer({ cert: serving.cert, key: serving.key }, (req, res) => {
    counts.requests++;
    tokens.push(req.headers.authorization ?? '');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }));
  });
  server.on('connection', () => counts.connections++);
  server.on('secureConnection', () => counts.handshakes++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function load<T extends KubeConfig>(kc: T, ca: Buffer, token = 't0k3n'): T {
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: url, caData: ca.toString('base64'), skipTLSVerify: false }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return kc;
}

/** One GET, the way every operator call is sent (src/kube/api-request.ts). */
const readDefault = (kc: KubeConfig) => kubeRequest(kc, { method: 'GET', path: '/api/v1/namespaces/default' });

async function sequential(kc: KubeConfig, n: number): Promise<typeof counts> {
  Object.assign(counts, { connections: 0, handshakes: 0, requests: 0 });
  for (let i = 0; i < n; i++) await readDefault(kc);
  return { ...counts };
}

describe('SharedConnectionsKubeConfig', () => {
  it('sends many requests over one TLS connection, with the same credentials', async () => {
    tokens.length = 0;
    const kc = load(new SharedConnectionsKubeConfig(), serverCert);
    const seen = await sequential(kc, 20);
    // One connection, or two when undici has not yet taken the first back when the next request
    // leaves; either way a handful, not one per request.
    expect(seen.requests).toBe(20);
    expect(seen.handshakes).toBeLessThanOrEqual(2);
    expect(seen.connections).toBe(seen.handshakes);
    expect(new Set(tokens)).toEqual(new Set(['Bearer t0k3n']));
    // Concurrent requests open a few more connections; each is kept and reused afterwards.
    await Promise.all(Array.from({ length: 4 }, () => readDefault(kc)));
    const pooled = counts.handshakes;
    expect(pooled).toBeLessThanOrEqual(1 + 4);
    for (let i = 0; i < 10; i++) await readDefault(kc);
    expect(counts.handshakes).toBe(pooled);
  });

  it('is what plain client-node 2.0.1 does not do: one handshake per request', async () => {
    // The waste the adapter removes; if an upgrade of client-node pools by itself, drop the adapter.
    expect(await sequential(load(new KubeConfig(), serverCert), 20)).toEqual({ requests: 20, connections: 20, handshakes: 20 });
  });

  it('keeps verification as strict: a server the CA did not sign is refused, every time', async () => {
    counts.requests = 0;
    const kc = load(new SharedConnectionsKubeConfig(), otherCa);
    for (let i = 0; i < 3; i++) await expect(readDefault(kc)).rejects.toThrow();
    expect(counts.requests).toBe(0);
  });

  it('starts a new pool when the TLS material changes, and keeps serving', async () => {
    const kc = load(new SharedConnectionsKubeConfig(), otherCa);
    await expect(readDefault(kc)).rejects.toThrow();
    // The cluster's CA is corrected in place (as a rotated CA file would be re-read).
    kc.clusters[0] = { ...kc.clusters[0]!, caData: serverCert.toString('base64') };
    await expect(readDefault(kc)).resolves.toMatchObject({ metadata: { name: 'default' } });
  });
});
