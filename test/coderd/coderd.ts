// Starts a real coderd (built by build-coderd.sh) for the real-coderd tier:
// the enterprise binary without a licence (so AGPL behaviour, as most
// self-hosted deployments without a licence see), echo provisioner only (no
// terraform), built-in provisioner daemons, telemetry, update check and STUN
// off, Swagger on (the contract test reads the server's own spec), the real
// rate limits. It runs inside a loopback-only network namespace; its API port
// is bridged to the host's 127.0.0.1.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { freePort, killGroup, startDetached, tail, waitFor } from '../control-plane/processes.ts';
import type { Netns } from './netns.ts';

/** CODERD_VERSIONS from versions.env, newest first. */
export function pinnedCoderdVersions(): string[] {
  const text = readFileSync(join(import.meta.dirname, 'versions.env'), 'utf8');
  const m = /^CODERD_VERSIONS="([^"]+)"$/m.exec(text);
  if (!m) throw new Error('versions.env: no CODERD_VERSIONS line');
  return m[1]!.split(/\s+/).filter(Boolean);
}

export function coderdBinaries(version: string): { coder: string; echotar: string } {
  const cache =
    process.env.CWO_TEST_BIN ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'coder-workspace-operator', 'test-bin');
  const dir = join(cache, `coderd-${version}`);
  return { coder: join(dir, 'coder'), echotar: join(dir, 'echotar') };
}

export interface CoderdServer {
  /** http://127.0.0.1:<port>, the bridged API. */
  url: string;
  /** The version the binary was built as, e.g. v2.27.0. */
  version: string;
  allowRenames: boolean;
  stop(): Promise<void>;
  logTail(): string;
}

let nextInnerPort = 3000;

export async function startCoderd(opts: {
  version: string;
  netns: Netns;
  pgUrl: string;
  dir: string;
  allowRenames: boolean;
  /** CODER_EXPERIMENTS; a version that does not know one ignores it with a warning. */
  experiments?: string[];
}): Promise<CoderdServer> {
  const { coder } = coderdBinaries(opts.version);
  const innerPort = nextInnerPort++;
  const outerPort = await freePort();
  const url = `http://127.0.0.1:${outerPort}`;
  const home = join(opts.dir, `coderd-${innerPort}`);
  await mkdir(join(home, 'cache'), { recursive: true });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    CODER_CONFIG_DIR: join(home, 'config'),
    CODER_CACHE_DIRECTORY: join(home, 'cache'),
    CODER_PG_CONNECTION_URL: opts.pgUrl,
    CODER_HTTP_ADDRESS: `127.0.0.1:${innerPort}`,
    CODER_ACCESS_URL: url,
    CODER_TELEMETRY_ENABLE: 'false',
    CODER_UPDATE_CHECK: 'false',
    CODER_DERP_SERVER_STUN_ADDRESSES: 'disable',
    CODER_BLOCK_DIRECT: 'true',
    // Hidden flag: the built-in daemons serve the echo provisioner, which
    // replays responses stored in the template archive.
    CODER_PROVISIONER_TYPES: 'echo',
    CODER_PROVISIONER_DAEMONS: '4',
    CODER_SWAGGER_ENABLE: 'true',
    CODER_ALLOW_WORKSPACE_RENAMES: String(opts.allowRenames),
    CODER_VERBOSE: 'false',
    ...(opts.experiments?.length ? { CODER_EXPERIMENTS: opts.experiments.join(',') } : {}),
  };
  const cmd = opts.netns.exec(coder, ['server']);
  const child: ChildProcess = startDetached(cmd.command, cmd.args, join(home, 'coderd.log'), { env });
  const stop = () => killGroup(child, 15_000);
  try {
    await opts.netns.bridge(innerPort, outerPort, opts.dir);
    await waitFor(`coderd ${opts.version}`, child, async () => (await fetch(`${url}/api/v2/buildinfo`)).ok, 180_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, version: opts.version, allowRenames: opts.allowRenames, stop, logTail: () => tail(child) };
}
