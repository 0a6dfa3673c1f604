// Child processes of the test tiers (control plane, real coderd): each runs in
// its own process group so stop() can kill it and whatever it spawned, keeps
// the tail of its output for error messages, and writes that tail to a log
// file when it exits.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { eventually, GiveUp } from '../support/eventually.ts';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export function startDetached(
  command: string,
  args: string[],
  logFile: string,
  opts: Pick<SpawnOptions, 'env' | 'cwd'> = {},
): ChildProcess {
  // Own process group (detached), so stop() can kill it and anything it spawned.
  const child = spawn(command, args, { ...opts, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('exit', () => void writeFile(logFile, log).catch(() => undefined));
  (child as ChildProcess & { tail: () => string }).tail = () => log;
  return child;
}

export function tail(child: ChildProcess): string {
  return (child as ChildProcess & { tail?: () => string }).tail?.() ?? '';
}

/** Until the probe says the process is ready; at once if it exits first. Errors carry its output's tail. */
export async function waitFor(what: string, child: ChildProcess, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  await eventually(
    `${what} to be ready`,
    async () => {
      if (child.exitCode !== null) throw new GiveUp(`${what} exited with ${child.exitCode}`);
      return probe();
    },
    timeoutMs,
    { everyMs: 250, detail: () => tail(child).slice(-4000) },
  );
}

export async function killGroup(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }, graceMs);
  await exited;
  clearTimeout(timer);
}
