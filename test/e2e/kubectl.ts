// Runs the real kubectl and helm against the e2e control plane.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { binaries } from '../control-plane/control-plane.ts';
import { eventually, GiveUp } from '../support/eventually.ts';

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(file: string, args: string[], stdin?: string): Promise<Ran> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(stdin ?? '');
  });
}

/** kubectl with the admin kubeconfig; `as` impersonates (e.g. a ServiceAccount). */
export function kubectl(args: string[], opts: { stdin?: string; as?: string } = {}): Promise<Ran> {
  const base = ['--kubeconfig', inject('kubeconfig')];
  if (opts.as) base.push(`--as=${opts.as}`);
  return exec(binaries().kubectl, [...base, ...args], opts.stdin);
}

/** kubectl that must succeed; returns stdout. */
export async function kubectlOk(args: string[], opts: { stdin?: string; as?: string } = {}): Promise<string> {
  const ran = await kubectl(args, opts);
  if (ran.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${ran.code}): ${ran.stderr}`);
  return ran.stdout;
}

export function helm(args: string[]): Promise<Ran> {
  return exec(binaries().helm, ['--kubeconfig', inject('kubeconfig'), ...args]);
}

/** A fresh namespace per test file, so files never see each other's objects. */
export async function freshNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await kubectlOk(['create', 'namespace', name]);
  return name;
}

/** Installs the CRDs (idempotent) and waits until the apiserver serves them. */
export async function installCrds(): Promise<void> {
  await kubectlOk(['apply', '--server-side', '-f', 'crds/']);
  const wait = [
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/workspaces.coderops.dev',
    'crd/coderconnections.coderops.dev',
    'crd/clustercoderconnections.coderops.dev',
  ];
  // Just after the first apply a CRD can have no status.conditions yet, and
  // kubectl wait then fails at once ("accessor error") instead of waiting.
  await eventually(
    'the CRDs to be Established',
    async () => {
      const ran = await kubectl(wait);
      if (ran.code === 0) return true;
      const failed = `kubectl ${wait.join(' ')} failed (${ran.code}): ${ran.stderr}`;
      throw ran.stderr.includes('accessor error') ? new Error(failed) : new GiveUp(failed);
    },
    60_000,
  );
}

/**
 * A kubeconfig for a ServiceAccount, with a real token from the TokenRequest
 * API: requests made with it are authorised exactly as the operator's would be.
 */
export async function serviceAccountKubeconfig(namespace: string, name: string): Promise<string> {
  const token = (await kubectlOk(['create', 'token', name, '-n', namespace, '--duration=1h'])).trim();
  const admin = JSON.parse(await readFile(inject('kubeconfig'), 'utf8'));
  const path = join(tmpdir(), `cwo-sa-${namespace}-${name}-${randomBytes(3).toString('hex')}.kubeconfig`);
  await writeFile(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: admin.clusters,
      users: [{ name: 'sa', user: { token } }],
      contexts: [{ name: 'sa', context: { cluster: 'test', user: 'sa' } }],
      'current-context': 'sa',
    }),
    { mode: 0o600 },
  );
  return path;
}

/** kubectl with another kubeconfig (e.g. a ServiceAccount's). */
export function kubectlWith(kubeconfig: string, args: string[], stdin?: string): Promise<Ran> {
  return exec(binaries().kubectl, ['--kubeconfig', kubeconfig, ...args], stdin);
}
