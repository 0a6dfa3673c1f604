// The aggregation layer of the real control plane, for an aggregated API
// server beside it (coder-k8s in the benchmark's peer-k8s mode): a
// front-proxy CA and the client certificate kube-apiserver presents when it
// proxies a request, and the flags that turn the layer on. What the
// kube-apiserver documentation lists under "Configure the Aggregation Layer".
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The CN kube-apiserver's proxy client certificate carries; the only name the requestheader CA is trusted for. */
export const PROXY_CLIENT_CN = 'front-proxy-client';

/**
 * Writes front-proxy-ca.{crt,key} and proxy-client.{crt,key} into dir (a
 * directory of the caller's, kept apart from the control plane's own CA) and
 * returns kube-apiserver's flags for them.
 */
export async function aggregationLayer(dir: string): Promise<string[]> {
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  const key = (name: string) => openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
  await key('front-proxy-ca');
  await openssl(
    'req',
    '-x509',
    '-new',
    '-key',
    'front-proxy-ca.key',
    '-subj',
    '/CN=cwo-front-proxy-ca',
    '-days',
    '2',
    '-out',
    'front-proxy-ca.crt',
  );
  await key('proxy-client');
  await openssl('req', '-new', '-key', 'proxy-client.key', '-subj', `/CN=${PROXY_CLIENT_CN}`, '-out', 'proxy-client.csr');
  await writeFile(join(dir, 'proxy-client.ext'), 'extendedKeyUsage=clientAuth\n');
  await openssl(
    'x509',
    '-req',
    '-in',
    'proxy-client.csr',
    '-CA',
    'front-proxy-ca.crt',
    '-CAkey',
    'front-proxy-ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'proxy-client.ext',
    '-out',
    'proxy-client.crt',
  );
  return [
    `--requestheader-client-ca-file=${join(dir, 'front-proxy-ca.crt')}`,
    `--requestheader-allowed-names=${PROXY_CLIENT_CN}`,
    '--requestheader-username-headers=X-Remote-User',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    `--proxy-client-cert-file=${join(dir, 'proxy-client.crt')}`,
    `--proxy-client-key-file=${join(dir, 'proxy-client.key')}`,
    // Proxy to the endpoint, not to the Service's cluster IP: nothing routes
    // a cluster IP here (no kube-proxy), and the peer listens on loopback.
    '--enable-aggregator-routing=true',
  ];
}

/**
 * The APIService, Service and EndpointSlice that route group/version to an
 * aggregated server at 127.0.0.1:port. Endpoints and IPv4 EndpointSlices
 * refuse loopback addresses ("may not be in the loopback range"); an FQDN
 * slice takes "127.0.0.1" (four valid DNS labels) and the aggregator dials
 * the address as written. The peer's serving certificate is self-signed (it
 * has no flag for one of ours), hence insecureSkipTLSVerify, as its own
 * deploy/apiserver-apiservice.yaml sets it.
 */
export function apiServiceObjects(opts: { group: string; version: string; namespace: string; service: string; port: number }): object[] {
  const { group, version, namespace, service, port } = opts;
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: service, namespace },
      spec: { type: 'ClusterIP', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }] },
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${service}-loopback`, namespace, labels: { 'kubernetes.io/service-name': service } },
      addressType: 'FQDN',
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
      ports: [{ name: 'https', port, protocol: 'TCP' }],
    },
    {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: `${version}.${group}` },
      spec: {
        group,
        version,
        service: { name: service, namespace, port: 443 },
        groupPriorityMinimum: 1000,
        versionPriority: 100,
        insecureSkipTLSVerify: true,
      },
    },
  ];
}
