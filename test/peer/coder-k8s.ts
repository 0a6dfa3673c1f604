// coder-k8s's aggregated API server (built by build-coder-k8s.sh) as the
// benchmark's peer-k8s mode runs it. It has no flag for its listen address:
// it binds 0.0.0.0:6443 with a self-signed certificate. So it runs inside the
// loopback-only network namespace of the real-coderd tier (test/coderd/netns.ts),
// where 0.0.0.0 is only `lo`, and its port is bridged to the host's 127.0.0.1
// for kube-apiserver. It reaches Coder at a URL inside the namespace (the
// caller exposes its recording proxy there).
//
// Its flags (app_dispatch.go, v0.1.0): --app=aggregated-apiserver,
// --coder-url, --coder-session-token (an admin token, command line only: it
// has no environment variable or file for it), --coder-namespace (the one
// Kubernetes namespace it serves; required with a URL and token),
// --coder-request-timeout. It authenticates nobody (anonymous, always-allow):
// kube-apiserver's authorization is the only gate.
import type { ChildProcess } from 'node:child_process';
import { get } from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Netns } from '../coderd/netns.ts';
import { freePort, killGroup, startDetached, tail, waitFor } from '../control-plane/processes.ts';

export const CODER_K8S_VERSION = 'v0.1.0';
/** The port it binds (apiserverapp.DefaultSecureServingPort); not configurable. */
const INNER_PORT = 6443;

export function coderK8sBinary(version = CODER_K8S_VERSION): string {
  const cache =
    process.env.CWO_TEST_BIN ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'coder-workspace-operator', 'test-bin');
  return join(cache, `coder-k8s-${version}`, 'coder-k8s');
}

export interface CoderK8s {
  /** The host's 127.0.0.1 port its 6443 is bridged to. */
  port: number;
  pid: number;
  stop(): Promise<void>;
  logTail(): string;
}

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    get({ host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    }).on('error', () => resolve(false));
  });
}

export async function startCoderK8s(opts: {
  netns: Netns;
  dir: string;
  /** As seen inside the namespace. */
  coderUrl: string;
  token: string;
  namespace: string;
}): Promise<CoderK8s> {
  const outer = await freePort();
  const cmd = opts.netns.exec(coderK8sBinary(), [
    '--app=aggregated-apiserver',
    `--coder-url=${opts.coderUrl}`,
    `--coder-session-token=${opts.token}`,
    `--coder-namespace=${opts.namespace}`,
  ]);
  const child: ChildProcess = startDetached(cmd.command, cmd.args, join(opts.dir, 'coder-k8s.log'), {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: opts.dir },
  });
  const stop = () => killGroup(child, 10_000);
  try {
    await opts.netns.bridge(INNER_PORT, outer, opts.dir);
    await waitFor('coder-k8s aggregated-apiserver', child, () => healthy(outer), 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port: outer, pid: child.pid!, stop, logTail: () => tail(child) };
}
