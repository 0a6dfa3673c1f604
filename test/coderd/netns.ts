// A network namespace with only `lo`, for processes that must not send a
// packet beyond loopback. coderd's tailnet probes the default gateway for port
// mapping even with STUN disabled; inside this namespace there is no gateway
// and no route, so nothing leaves the machine. A TCP port inside is bridged
// to the host's loopback through a unix socket (the filesystem is shared
// between namespaces, the network is not).
import { execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { killGroup, startDetached, waitFor } from '../control-plane/processes.ts';

const run = promisify(execFile);

export interface Netns {
  name: string;
  /** argv prefix that runs a command inside the namespace. */
  exec(command: string, args: string[]): { command: string; args: string[] };
  /** Makes 127.0.0.1:innerPort inside reachable at 127.0.0.1:outerPort outside. */
  bridge(innerPort: number, outerPort: number, dir: string): Promise<void>;
  /**
   * The other way round: makes the host's 127.0.0.1:outerPort reachable at
   * 127.0.0.1:innerPort inside, for a client in the namespace that must talk
   * through something running on the host (the bench's recording proxy).
   */
  expose(outerPort: number, innerPort: number, dir: string): Promise<void>;
  /** The namespace's interfaces, as `ip -o link` prints them (a test asserts only lo). */
  links(): Promise<string[]>;
  close(): Promise<void>;
}

export async function createNetns(): Promise<Netns> {
  const name = `cwo-coderd-${process.pid}-${randomBytes(2).toString('hex')}`;
  await run('ip', ['netns', 'add', name]);
  const children: ChildProcess[] = [];
  try {
    await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (error) {
    await run('ip', ['netns', 'delete', name]).catch(() => undefined);
    throw error;
  }
  const exec = (command: string, args: string[]) => ({ command: 'ip', args: ['netns', 'exec', name, command, ...args] });
  return {
    name,
    exec,
    async bridge(innerPort, outerPort, dir) {
      const socket = join(dir, `bridge-${innerPort}.sock`);
      const inner = exec('socat', [`UNIX-LISTEN:${socket},fork,mode=600,unlink-early`, `TCP:127.0.0.1:${innerPort}`]);
      children.push(startDetached(inner.command, inner.args, join(dir, `bridge-${innerPort}-in.log`)));
      const outer = startDetached(
        'socat',
        [`TCP-LISTEN:${outerPort},bind=127.0.0.1,fork,reuseaddr`, `UNIX-CONNECT:${socket}`],
        join(dir, `bridge-${innerPort}-out.log`),
      );
      children.push(outer);
      await waitFor(
        `socat bridge ${outerPort}->${innerPort}`,
        outer,
        async () => {
          const { stdout } = await run('ss', ['-Hltn', `sport = :${outerPort}`]);
          return stdout.trim() !== '';
        },
        10_000,
      );
    },
    async expose(outerPort, innerPort, dir) {
      const socket = join(dir, `expose-${outerPort}.sock`);
      children.push(
        startDetached(
          'socat',
          [`UNIX-LISTEN:${socket},fork,mode=600,unlink-early`, `TCP:127.0.0.1:${outerPort}`],
          join(dir, `expose-${outerPort}-out.log`),
        ),
      );
      await waitFor(`socat socket ${socket}`, children.at(-1)!, async () => existsSync(socket), 10_000);
      const inner = exec('socat', [`TCP-LISTEN:${innerPort},bind=127.0.0.1,fork,reuseaddr`, `UNIX-CONNECT:${socket}`]);
      const listener = startDetached(inner.command, inner.args, join(dir, `expose-${outerPort}-in.log`));
      children.push(listener);
      await waitFor(
        `socat bridge ${outerPort}->${innerPort} in ${name}`,
        listener,
        async () => {
          const { stdout } = await run('ip', ['netns', 'exec', name, 'ss', '-Hltn', `sport = :${innerPort}`]);
          return stdout.trim() !== '';
        },
        10_000,
      );
    },
    async links() {
      const { stdout } = await run('ip', ['-n', name, '-o', 'link']);
      return stdout
        .trim()
        .split('\n')
        .map((l) => l.split(':')[1]!.trim());
    },
    async close() {
      for (const child of children.reverse()) await killGroup(child, 5_000);
      await run('ip', ['netns', 'delete', name]).catch(() => undefined);
    },
  };
}
