// A real etcd + kube-apiserver on loopback for the e2e tier, as
// controller-runtime's envtest runs them: RBAC on, free ports, a throw-away CA,
// an admin kubeconfig. Every process runs in its own process group, and stop()
// kills the groups and removes the temp dir even when a test failed.
import { execFile, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { get as httpGet } from 'node:http';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, killGroup, startDetached, waitFor } from './processes.ts';

const run = promisify(execFile);

/** Pins from versions.env, the single place they are written. */
export function pinnedVersions(): Record<'KUBE_VERSION' | 'ETCD_VERSION' | 'HELM_VERSION', string> {
  const text = readFileSync(join(import.meta.dirname, 'versions.env'), 'utf8');
  const pins: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(\S+)$/.exec(line.trim());
    if (m) pins[m[1]!] = m[2]!;
  }
  return pins as Record<'KUBE_VERSION' | 'ETCD_VERSION' | 'HELM_VERSION', string>;
}

export interface Binaries {
  etcd: string;
  kubeApiserver: string;
  kubectl: string;
  helm: string;
  /** Our probe on sigs.k8s.io/cli-utils' kstatus (test/e2e/kstatus): stdin JSON -> name, status, message lines. */
  kstatus: string;
}

/** Env vars override the cache paths that build-binaries.sh fills. */
export function binaries(): Binaries {
  const v = pinnedVersions();
  const cache =
    process.env.CWO_TEST_BIN ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'coder-workspace-operator', 'test-bin');
  return {
    etcd: process.env.ETCD_BIN ?? join(cache, `etcd-${v.ETCD_VERSION}`, 'etcd'),
    kubeApiserver: process.env.KUBE_APISERVER_BIN ?? join(cache, `kube-${v.KUBE_VERSION}`, 'kube-apiserver'),
    kubectl: process.env.KUBECTL_BIN ?? join(cache, `kube-${v.KUBE_VERSION}`, 'kubectl'),
    helm: process.env.HELM_BIN ?? join(cache, `helm-${v.HELM_VERSION}`, 'helm'),
    // A link to the build of the current sources (build-binaries.sh stamps it by their hash).
    kstatus: process.env.KSTATUS_BIN ?? join(cache, 'kstatus', 'kstatus'),
  };
}

export interface ControlPlane {
  /** https://127.0.0.1:<port> */
  server: string;
  /** Admin kubeconfig (client certificate in group system:masters). */
  kubeconfig: string;
  dir: string;
  caPem: string;
  startupMs: number;
  /** For readings of their own CPU and memory from /proc (the benchmark's). */
  pids: { etcd: number; apiserver: number };
  stop(): Promise<void>;
}

async function openssl(dir: string, ...args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

/** A CA, a serving cert for 127.0.0.1, an admin client cert and the service-account key pair. */
async function makeCertificates(dir: string): Promise<void> {
  const key = (name: string) => openssl(dir, 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
  const sign = async (name: string, subject: string, extensions: string) => {
    await writeFile(join(dir, `${name}.ext`), extensions);
    await openssl(dir, 'req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`);
    await openssl(
      dir,
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    );
  };
  await key('ca');
  await openssl(dir, 'req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=cwo-test-ca', '-days', '2', '-out', 'ca.crt');
  await Promise.all([key('serving'), key('admin'), key('sa')]);
  await sign('serving', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await sign('admin', '/O=system:masters/CN=admin', 'extendedKeyUsage=clientAuth\n');
  await openssl(dir, 'pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub');
}

function httpOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    httpGet(url, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    }).on('error', () => resolve(false));
  });
}

function httpsOk(url: string, ca: string): Promise<boolean> {
  return new Promise((resolve) => {
    httpsGet(url, { ca }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    }).on('error', () => resolve(false));
  });
}

export async function startControlPlane(
  opts: {
    readyTimeoutMs?: number;
    /** Appended to kube-apiserver's flags, e.g. an audit policy (the benchmark's shards mode). */
    apiserverArgs?: string[];
  } = {},
): Promise<ControlPlane> {
  const started = Date.now();
  const bin = binaries();
  const dir = await mkdtemp(join(tmpdir(), 'cwo-control-plane-'));
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const child of children.reverse()) await killGroup(child, 10_000);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await makeCertificates(dir);
    const [etcdPort, peerPort, apiPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcd = startDetached(
      bin.etcd,
      [
        '--name=t',
        `--data-dir=${join(dir, 'etcd')}`,
        '--log-level=warn',
        '--unsafe-no-fsync',
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=t=${peerUrl}`,
      ],
      join(dir, 'etcd.log'),
    );
    children.push(etcd);
    await waitFor('etcd', etcd, () => httpOk(`${etcdUrl}/health`), 30_000);

    const server = `https://127.0.0.1:${apiPort}`;
    const apiserver = startDetached(
      bin.kubeApiserver,
      [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${dir}`,
        `--tls-cert-file=${join(dir, 'serving.crt')}`,
        `--tls-private-key-file=${join(dir, 'serving.key')}`,
        `--client-ca-file=${join(dir, 'ca.crt')}`,
        '--authorization-mode=RBAC',
        '--service-cluster-ip-range=10.0.0.0/24',
        '--allow-privileged=true',
        `--service-account-issuer=${server}`,
        `--service-account-key-file=${join(dir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
        // Nothing here creates default ServiceAccounts (that is the controller manager's job).
        '--disable-admission-plugins=ServiceAccount',
        ...(opts.apiserverArgs ?? []),
      ],
      join(dir, 'apiserver.log'),
    );
    children.push(apiserver);
    const caPem = await readFile(join(dir, 'ca.crt'), 'utf8');
    await waitFor('kube-apiserver', apiserver, () => httpsOk(`${server}/readyz`, caPem), opts.readyTimeoutMs ?? 90_000);

    const b64 = async (file: string) => (await readFile(join(dir, file))).toString('base64');
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'test', cluster: { server, 'certificate-authority-data': await b64('ca.crt') } }],
        users: [{ name: 'admin', user: { 'client-certificate-data': await b64('admin.crt'), 'client-key-data': await b64('admin.key') } }],
        contexts: [{ name: 'admin', context: { cluster: 'test', user: 'admin' } }],
        'current-context': 'admin',
      }),
      { mode: 0o600 },
    );
    const pids = { etcd: etcd.pid!, apiserver: apiserver.pid! };
    return { server, kubeconfig, dir, caPem, startupMs: Date.now() - started, pids, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
